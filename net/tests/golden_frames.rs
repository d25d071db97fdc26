//! Golden bytes of every `/partage/sync/3` frame kind: length prefix and postcard body of one
//! fixed message per kind (fixed keys and times; ed25519 signatures are deterministic).
//!
//! IF THIS FAILS, YOU CHANGED THE PROTOCOL. Peers running other builds read these bytes: do
//! not just update `tests/golden/frames.txt`. A change needs a new protocol name
//! (`/partage/sync/4`, with the old one still served unless it is the flaw being fixed, as
//! `/partage/sync/1` and `/2` were: ADR 0013, ADR 0016) or a field added in a way old peers ignore, decided in an
//! ADR. What the `Hello` and `Status` fingerprints are computed from is pinned too
//! (`tags_and_digests_keep_their_values`). The messages carry their own wire structs (`WireBundle`,
//! `WireProof`, the core's `WirePayload`) so that a field added to a core type cannot change a
//! frame by accident; signed records (certificates, attestations, admissions, revocations) are
//! pinned here and in `core/tests/golden_formats.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use automerge::ChangeHash;
use partage::admission::Admission;
use partage::attest::Attestation;
use partage::identity::{DeviceCert, DeviceRevocation, SecretKey};
use partage::membership::{Cert, CertKind, Revocation};
use partage::session_binding::BindingSignature;
use partage::sync::wire::WirePayload;
use partage::{DeviceId, MemberId, NeighbourhoodId};
use partage_net::wire::{self, DocHash, HelloEntry, Msg, WireBundle, WireProof};
use std::path::PathBuf;

/// 2026-01-01T00:00:00Z, in milliseconds.
const T: u64 = 1_767_225_600_000;
const NAME: &str = "Rue des Lilas";

fn key(seed: u8) -> SecretKey {
    SecretKey::from_bytes(&[seed; 32])
}

/// One message of each kind, in protocol order.
fn messages() -> Vec<(&'static str, Msg)> {
    let (root, alice, invite, bob) = (key(1), key(2), key(4), key(5));
    let ns = NeighbourhoodId(root.public());
    let bob_id = MemberId(bob.public());
    let alice_cert = Cert::member(&root, ns, NAME, alice.public(), T);
    let invite_cert = Cert::issue(&alice, CertKind::Invite, ns, NAME, invite.public(), T, Some(T + 1), 3);
    let bob_cert = Cert::member(&invite, ns, NAME, bob.public(), T + 1_000);
    let alice_device = DeviceCert::issue(&alice, DeviceId(key(3).public()), T);
    let bob_device = DeviceCert::issue(&bob, DeviceId(key(6).public()), T + 1_000);
    let admission =
        Admission::issue(&key(3), vec![alice_cert.clone()], alice_device, &invite_cert, &bob_cert, T + 2_000);
    let chain = vec![alice_cert, invite_cert, bob_cert];
    let attestation = Attestation::sign(&key(6), &ns, &bob_id, &ChangeHash([0xb1; 32]));
    vec![
        (
            "hello",
            Msg::Hello { reply: true, entries: vec![HelloEntry { tag: [0x7a; 32], digest: [0xd1; 32] }] },
        ),
        (
            "proof",
            Msg::Proof {
                ns,
                proof: WireProof {
                    chain: chain.clone(),
                    device: bob_device.clone(),
                    admissions: vec![admission.clone()],
                    binding: BindingSignature::sign(&key(6), &[0xbd; 32]),
                },
            },
        ),
        ("denied", Msg::Denied { ns, reason: "not a member".into() }),
        (
            "summary",
            Msg::Summary {
                ns,
                docs: vec![DocHash { owner: bob_id, heads: [0xb0; 32] }],
                revocations: vec![Revocation::issue(&root, key(7).public(), T + 3_000)],
            },
        ),
        ("want", Msg::Want { ns, owner: bob_id, heads: vec![[0xa1; 32]] }),
        (
            "bundle_snapshot",
            Msg::Bundle {
                answer: true,
                bundle: WireBundle {
                    neighbourhood: ns,
                    owner: bob_id,
                    owner_chain: Some(chain),
                    owner_admissions: vec![admission],
                    device_revocations: vec![DeviceRevocation::issue(
                        &bob,
                        DeviceId(key(8).public()),
                        T + 4_000,
                    )],
                    devices: vec![bob_device.clone()],
                    payload: WirePayload::Snapshot(b"not a real automerge snapshot".to_vec()),
                    attestations: vec![attestation.clone()],
                },
            },
        ),
        (
            "bundle_changes",
            Msg::Bundle {
                answer: false,
                bundle: WireBundle {
                    neighbourhood: ns,
                    owner: bob_id,
                    owner_chain: None,
                    owner_admissions: vec![],
                    device_revocations: vec![],
                    devices: vec![bob_device],
                    payload: WirePayload::Changes(vec![vec![0x11; 16], vec![0x22; 20]]),
                    attestations: vec![attestation],
                },
            },
        ),
        ("no_change", Msg::NoChange { ns, owner: bob_id }),
        ("ahead", Msg::Ahead { ns, owner: bob_id, heads: vec![[0xa2; 32], [0xa3; 32]] }),
        ("status", Msg::Status { ns, digest: [0xd2; 32], ack: true }),
    ]
}

#[test]
fn every_frame_kind_keeps_its_bytes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/frames.txt");
    let actual: String = messages()
        .into_iter()
        .map(|(name, msg)| {
            let frame = wire::encode(&msg, usize::MAX).unwrap();
            // The pinned bytes decode back to the message: a build keeps reading what it wrote.
            assert_eq!(wire::decode(&frame[wire::PREFIX..]).unwrap(), msg, "{name} does not round-trip");
            format!("{name} {}\n", hex::encode(frame))
        })
        .collect();
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; the frames now are:\n{actual}", path.display()));
    for (want, got) in expected.lines().zip(actual.lines()) {
        let name = got.split(' ').next().unwrap_or_default();
        assert!(
            want == got,
            "the bytes of the `{name}` frame changed: you changed the protocol (see this file's \
             header). The frame now is:\n{got}\nit was:\n{want}"
        );
    }
    assert_eq!(expected.lines().count(), actual.lines().count(), "a frame kind was added or removed");
}

/// The fingerprints inside `Hello` and `Status` frames: peers compute and compare them, so a
/// change in how they are computed is a protocol change as much as a changed byte (ADR 0013: a
/// tag is keyed by the neighbourhood's shared secret and bound to the session and its sender).
#[test]
fn tags_and_digests_keep_their_values() {
    use partage::DocSummary;
    use partage_net::digest::{SessionKey, binding, digest, tag};
    let a = partage_net::peer_id_of(&DeviceId(key(3).public())).unwrap();
    let b = partage_net::peer_id_of(&DeviceId(key(6).public())).unwrap();
    let session = SessionKey::new(&a, &b);
    let secret = [0x5e; 32];
    let docs = [
        DocSummary { owner: MemberId(key(2).public()), heads: vec![[0xa1; 32]] },
        DocSummary { owner: MemberId(key(5).public()), heads: vec![[0xb1; 32], [0xb2; 32]] },
    ];
    let got = [
        ("binding of a", hex::encode(binding(&session, &a))),
        ("tag from a", hex::encode(tag(&session, &secret, &a))),
        ("tag from b", hex::encode(tag(&session, &secret, &b))),
        ("digest", hex::encode(digest(&session, &secret, &docs))),
    ];
    let want = [
        ("binding of a", "40a15f932f0ae84823440cbb395d9c9234b50b01fdab749613a3e18114a59e6a"),
        ("tag from a", "56e516855e4b394e7aa1324f6947a1de8efc7090a85039392a82df0194c3a7ea"),
        ("tag from b", "7981223786626c546c33b8213ffe5a45bef9cefa16a4869c4d3b17ec21def1d8"),
        ("digest", "934d2b3c32f54f2fe759dd6dd72f952ee4a9addb73981cdb333ab1274e5c15c9"),
    ];
    let got = got.each_ref().map(|(name, v)| (*name, v.as_str()));
    assert_eq!(got, want, "a fingerprint changed: you changed the protocol (see this file's header)");
}
