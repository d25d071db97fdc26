//! Golden bytes of every exchange format: the sync envelope (summary; bundle with a snapshot;
//! bundle with changes) and each signed record it carries. Fixed keys, fixed times; ed25519
//! signatures are deterministic, so the bytes are too.
//!
//! IF ONE OF THESE FAILS, YOU CHANGED A FORMAT. Devices in the field write and read these bytes.
//! Do not just update the hex file: bump `envelope::FORMAT_VERSION`, keep reading the old version
//! (and keep its golden file and a test that decodes it), and record the change in
//! `docs/adr/0008-one-replication-path.md`. A signed record's bytes are covered by its signature:
//! changing one also changes what peers verify.
//!
//! Each test also decodes the committed bytes and compares them with the value: a build must
//! keep reading what it wrote.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use automerge::ChangeHash;
use partage::admission::Admission;
use partage::attest::Attestation;
use partage::identity::{DeviceCert, DeviceRevocation, SecretKey};
use partage::membership::{Cert, CertKind, Revocation};
use partage::sync::envelope;
use partage::sync::wire::{WireBundles, WireSummary};
use partage::{DeviceId, DocBundle, DocPayload, DocSummary, MemberId, NeighbourhoodId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::path::PathBuf;

/// 2026-01-01T00:00:00Z, in milliseconds.
const T: u64 = 1_767_225_600_000;
const DAY: u64 = 86_400_000;
const NAME: &str = "Rue des Lilas";

fn key(seed: u8) -> SecretKey {
    SecretKey::from_bytes(&[seed; 32])
}

/// The fixed cast: a root (the neighbourhood), Alice (founder), an invite, Bob (joined with it).
struct Cast {
    ns: NeighbourhoodId,
    alice_cert: Cert,
    invite_cert: Cert,
    bob_cert: Cert,
    alice_device: DeviceCert,
    bob_device: DeviceCert,
}

fn cast() -> Cast {
    let (root, alice, invite, bob) = (key(1), key(2), key(4), key(5));
    let ns = NeighbourhoodId(root.public());
    let alice_cert = Cert::member(&root, ns, NAME, alice.public(), T);
    let invite_cert =
        Cert::issue(&alice, CertKind::Invite, ns, NAME, invite.public(), T, Some(T + 7 * DAY), 3);
    let bob_cert = Cert::member(&invite, ns, NAME, bob.public(), T + 1_000);
    let alice_device = DeviceCert::issue(&alice, DeviceId(key(3).public()), T);
    let bob_device = DeviceCert::issue(&bob, DeviceId(key(6).public()), T + 1_000);
    Cast { ns, alice_cert, invite_cert, bob_cert, alice_device, bob_device }
}

fn bob_id() -> MemberId {
    MemberId(key(5).public())
}

fn admission(c: &Cast) -> Admission {
    Admission::issue(
        &key(3),
        vec![c.alice_cert.clone()],
        c.alice_device.clone(),
        &c.invite_cert,
        &c.bob_cert,
        T + 2_000,
    )
}

fn revocation() -> Revocation {
    Revocation::issue(&key(1), key(7).public(), T + 3_000)
}

fn device_revocation() -> DeviceRevocation {
    DeviceRevocation::issue(&key(5), DeviceId(key(8).public()), T + 4_000)
}

fn attestation(c: &Cast, hash: u8) -> Attestation {
    Attestation::sign(&key(6), &c.ns, &bob_id(), &ChangeHash([hash; 32]))
}

/// Compares `bytes` with `core/tests/golden/{name}.hex` (hex, any whitespace).
fn golden(name: &str, bytes: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.hex"));
    let wrapped: Vec<String> =
        hex::encode(bytes).as_bytes().chunks(64).map(|l| String::from_utf8_lossy(l).into_owned()).collect();
    let actual = wrapped.join("\n");
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; the bytes now are:\n{actual}\n", path.display()));
    let expected: String = expected.split_whitespace().collect();
    assert!(
        expected == hex::encode(bytes),
        "the bytes of format `{name}` changed: you changed a format. Bump the format version and keep \
         reading the old one; do not just update {}. The bytes now are:\n{actual}\n",
        path.display()
    );
}

/// A signed record: its postcard bytes are pinned, and the pinned bytes decode to it.
fn record<T: Serialize + DeserializeOwned + PartialEq + Debug>(name: &str, value: &T) {
    let bytes = postcard::to_allocvec(value).unwrap();
    golden(name, &bytes);
    assert_eq!(&postcard::from_bytes::<T>(&bytes).unwrap(), value);
}

#[test]
fn envelope_summary() {
    let c = cast();
    let docs = vec![
        DocSummary { owner: MemberId(key(2).public()), heads: vec![[0xa1; 32]] },
        DocSummary { owner: bob_id(), heads: vec![[0xb1; 32], [0xb2; 32]] },
        DocSummary { owner: MemberId([0xcc; 32]), heads: vec![] },
    ];
    let value = WireSummary::new(c.ns, &docs);
    let bytes = envelope::encode(&value).unwrap();
    golden("envelope_summary", &bytes);
    let back: WireSummary = envelope::decode(&bytes).unwrap();
    assert_eq!(back.neighbourhood, c.ns);
    assert_eq!(back.into_docs(), docs);
}

/// Bob's document, every kind of signed record in it, as a whole snapshot.
fn full_bundle(c: &Cast) -> DocBundle {
    DocBundle {
        neighbourhood: c.ns,
        owner: bob_id(),
        owner_chain: vec![c.alice_cert.clone(), c.invite_cert.clone(), c.bob_cert.clone()],
        devices: vec![c.bob_device.clone()],
        revocations: vec![revocation()],
        owner_admissions: vec![admission(c)],
        device_revocations: vec![device_revocation()],
        payload: DocPayload::Snapshot(b"\x85\x6f\x4a\x83 not a real automerge snapshot".to_vec()),
        attestations: vec![attestation(c, 0xb1)],
    }
}

#[test]
fn envelope_bundle_snapshot() {
    let c = cast();
    let bundle = full_bundle(&c);
    let bytes = envelope::encode(&WireBundles::new(c.ns, vec![bundle.clone()])).unwrap();
    golden("envelope_bundle_snapshot", &bytes);
    let (ns, back) = envelope::decode::<WireBundles>(&bytes).unwrap().into_domain().unwrap();
    assert_eq!((ns, back), (c.ns, vec![bundle]));
}

#[test]
fn envelope_bundle_changes() {
    let c = cast();
    let bundle = DocBundle {
        neighbourhood: c.ns,
        owner: bob_id(),
        owner_chain: vec![c.alice_cert.clone(), c.invite_cert.clone(), c.bob_cert.clone()],
        devices: vec![c.bob_device.clone()],
        revocations: vec![],
        owner_admissions: vec![],
        device_revocations: vec![],
        payload: DocPayload::Changes(vec![vec![0x11; 16], vec![0x22; 20]]),
        attestations: vec![attestation(&c, 0xb2)],
    };
    let bytes = envelope::encode(&WireBundles::new(c.ns, vec![bundle.clone()])).unwrap();
    golden("envelope_bundle_changes", &bytes);
    let (_, back) = envelope::decode::<WireBundles>(&bytes).unwrap().into_domain().unwrap();
    assert_eq!(back, vec![bundle]);
}

#[test]
fn member_certificate() {
    record("cert_member", &cast().bob_cert);
}

#[test]
fn invite_certificate() {
    record("cert_invite", &cast().invite_cert);
}

#[test]
fn device_certificate() {
    record("device_cert", &cast().alice_device);
}

#[test]
fn attestation_of_a_change() {
    let c = cast();
    record("attestation", &attestation(&c, 0xb1));
}

#[test]
fn neighbourhood_revocation() {
    record("revocation", &revocation());
}

#[test]
fn admission_by_a_witness() {
    record("admission", &admission(&cast()));
}

#[test]
fn device_revocation_by_its_member() {
    record("device_revocation", &device_revocation());
}

#[test]
fn the_fixtures_are_genuinely_signed() {
    // Golden bytes of records that do not verify would pin nothing useful.
    let c = cast();
    assert!(
        c.alice_cert.signature_valid() && c.invite_cert.signature_valid() && c.bob_cert.signature_valid()
    );
    assert!(c.alice_device.is_valid() && c.bob_device.is_valid());
    assert!(revocation().is_valid() && device_revocation().is_valid());
}

fn ticket(c: &Cast) -> partage::ticket::InviteTicket {
    partage::ticket::InviteTicket {
        inviter_chain: vec![c.alice_cert.clone()],
        invite: c.invite_cert.clone(),
        invite_secret: key(4).to_bytes(),
        addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        neighbourhood_secret: [0x5e; 32],
    }
}

/// An invite ticket (`partage2`: with the neighbourhood's shared secret, ADR 0013), as the text
/// people paste. A new field means a new prefix, and the old one still read.
#[test]
fn invite_ticket() {
    let c = cast();
    let t = ticket(&c);
    let text = t.encode();
    assert!(text.starts_with("partage2"), "{text}");
    golden("ticket", text.as_bytes());
    assert_eq!(partage::ticket::InviteTicket::decode(&text, T).unwrap(), t);
}

/// A `partage1` ticket (before neighbourhoods had a shared secret) is still read; its
/// neighbourhood's secret is the legacy one derived from the id.
#[test]
fn legacy_invite_ticket_is_still_read() {
    let c = cast();
    let t = ticket(&c);
    let chain = vec![c.alice_cert.clone(), c.invite_cert.clone()];
    let mut body = postcard::to_allocvec(&(chain, t.invite_secret, t.addrs.clone())).unwrap();
    let sum = blake3::hash(&body);
    body.extend_from_slice(&sum.as_bytes()[..4]);
    use base64::Engine;
    let text = format!("partage1{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body));
    golden("ticket_v1", text.as_bytes());
    let back = partage::ticket::InviteTicket::decode(&text, T).unwrap();
    let legacy = partage::store::legacy_neighbourhood_secret(&c.ns);
    assert_eq!(back, partage::ticket::InviteTicket { neighbourhood_secret: legacy, ..t });
}
