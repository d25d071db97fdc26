//! A node that strangers (and hostile members) cannot exhaust: hostile peers driven frame by
//! frame over real libp2p on 127.0.0.1 (see `net_common::raw`). Memory is the process's own
//! peak (each test runs in its own process under nextest), reset before each attack.

mod net_common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use net_common::raw::{RawPeer, RawStream};
use net_common::*;
use partage::attest::Attestation;
use partage::events::NetEvent;
use partage::identity::{DeviceCert, SecretKey};
use partage::node::MembershipProof;
use partage::{
    DeviceId, DocBundle, DocPayload, Error, ItemDraft, MemberId, NeighbourhoodId, Node, VerifyError,
};
use partage_net::digest::{SessionKey, tag};
use partage_net::wire::{HelloEntry, Msg, WireBundle};
use partage_net::{NetConfig, Network};
use partage_tests::{TestNode, draft, neighbourhood, sync_all};
use serde::Serialize;
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;

fn member(n: &Node) -> MemberId {
    n.identity().unwrap().unwrap().member
}

/// Resets the process's peak resident memory to its current size; returns that size (bytes).
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS");
    status_kib("VmRSS:") * 1024
}

/// The process's peak resident memory since the last reset (bytes).
fn peak() -> u64 {
    status_kib("VmHWM:") * 1024
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Opens a raw session to `net` as the device `secret` and offers `ns`, proving knowledge of
/// `ns_secret` (the neighbourhood's shared secret, if the device knows it).
async fn offer(secret: [u8; 32], ns_secret: [u8; 32], net: &Network) -> (RawPeer, RawStream) {
    let mut raw = RawPeer::new(secret);
    let mut s = raw.session(addr(net).await, net.peer_id()).await;
    let key = SessionKey::new(&raw.peer_id, &net.peer_id());
    let tag = tag(&key, &ns_secret, &raw.peer_id);
    s.send(&Msg::Hello { reply: false, entries: vec![HelloEntry { tag, digest: [0; 32] }] }).await;
    (raw, s)
}

/// A raw session of the member `m`, past the proofs: it may send large frames.
async fn as_member(m: &Node, net: &Network, ns: &NeighbourhoodId) -> (RawPeer, RawStream) {
    let (raw, mut s) = offer(m.device_secret().unwrap(), m.neighbourhood_secret(ns).unwrap(), net).await;
    s.send(&Msg::Proof { ns: *ns, proof: s.proof(m, ns) }).await;
    // The node's own proof arrives once it has verified mine... or before: wait for its summary,
    // which it sends only to a verified peer.
    loop {
        match s.recv().await {
            Some(Msg::Summary { .. }) => break,
            Some(_) => {}
            None => panic!("the node never accepted the member's proof"),
        }
    }
    (raw, s)
}

/// A `Bundle` frame of `n` empty change entries, built without holding them in memory: the
/// same postcard layout as `Msg::Bundle { answer: false, bundle: WireBundle { payload:
/// DocPayload::Changes(vec![vec![]; n]), .. } }`.
fn tiny_entries_frame(ns: NeighbourhoodId, owner: MemberId, n: usize) -> Vec<u8> {
    struct Empties(usize);
    impl Serialize for Empties {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeSeq;
            let mut seq = s.serialize_seq(Some(self.0))?;
            for _ in 0..self.0 {
                seq.serialize_element(&[0u8; 0][..])?;
            }
            seq.end()
        }
    }
    #[derive(Serialize)]
    enum Payload {
        _Snapshot(Vec<u8>),
        Changes(Empties),
    }
    #[derive(Serialize)]
    struct Bundle {
        neighbourhood: NeighbourhoodId,
        owner: MemberId,
        owner_chain: Option<()>,
        owner_admissions: Vec<()>,
        device_revocations: Vec<()>,
        devices: Vec<()>,
        payload: Payload,
        attestations: Vec<()>,
    }
    #[derive(Serialize)]
    enum FakeMsg {
        _Hello,
        _Proof,
        _Denied,
        _Summary,
        _Want,
        Bundle { answer: bool, bundle: Bundle },
    }
    let msg = FakeMsg::Bundle {
        answer: false,
        bundle: Bundle {
            neighbourhood: ns,
            owner,
            owner_chain: None,
            owner_admissions: vec![],
            device_revocations: vec![],
            devices: vec![],
            payload: Payload::Changes(Empties(n)),
            attestations: vec![],
        },
    };
    let body = postcard::to_allocvec(&msg).unwrap();
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_maximum_frames_of_tiny_entries_stay_within_64_mib() {
    let (nodes, ns) = neighbourhood(&["Alice", "Mallory"]);
    let (alice, mallory) = (&nodes[0], &nodes[1]);
    let na = start(alice).await;
    let max = NetConfig::default().max_message_bytes;
    // The largest frame a member may send: 32 MiB, nearly all one-byte empty entries (each would
    // decode into a 24-byte `Vec`: 768 MiB with a naive decoder).
    let frame = tiny_entries_frame(ns, member(&mallory.node), max - 200);
    assert!(frame.len() <= max + 4, "{}", frame.len());

    // A stranger cannot even send it: refused on its length, before any byte of it is read.
    let eve = TestNode::new("Eve");
    // (She knows the neighbourhood's id, not its secret.)
    let (mut raw_eve, mut s) = offer(eve.node.device_secret().unwrap(), ns.0, &na).await;
    let base = reset_peak();
    s.send_bytes(&frame).await;
    assert!(raw_eve.disconnected().await, "the stranger was not disconnected");
    let stranger = peak().saturating_sub(base);

    // A member can send it once proven: the bounded decoder refuses it on the first entry.
    let (mut raw, mut s) = as_member(&mallory.node, &na, &ns).await;
    let mut events = alice.node.subscribe();
    let base = reset_peak();
    s.send_bytes(&frame).await;
    let e =
        next_net_event(&mut events, "misbehaviour", |e| matches!(e, NetEvent::PeerMisbehaved { .. })).await;
    assert!(raw.disconnected().await);
    let member = peak().saturating_sub(base);
    eprintln!(
        "peak memory over the attack: stranger +{:.1} MiB, member +{:.1} MiB ({e:?})",
        stranger as f64 / MIB as f64,
        member as f64 / MIB as f64
    );
    assert!(stranger < 64 * MIB, "a stranger's frame raised peak memory by {} MiB", stranger / MIB);
    assert!(member < 64 * MIB, "a member's frame raised peak memory by {} MiB", member / MIB);
    // And the node still works.
    alice.node.add_item(&ns, draft("Après")).unwrap();
    na.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_stalled_frames_do_not_delay_another_members_snapshot() {
    let names = ["Alice", "Bob", "M1", "M2", "M3", "M4"];
    let (nodes, ns) = neighbourhood(&names);
    sync_all(&nodes, &ns);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    // A document whose snapshot needs the shared budget (well over 64 KiB).
    let long = "Une description assez longue pour grossir le document. ".repeat(10);
    for i in 0..200 {
        let d = ItemDraft { title: format!("Objet {i}"), description: long.clone(), ..ItemDraft::default() };
        alice.node.add_item(&ns, d).unwrap();
    }
    // A small budget, so that four stalled frames announced at the maximum size would take all
    // of it if it were reserved up front.
    let config = NetConfig {
        max_message_bytes: 4 * MIB as usize,
        inbound_budget_bytes: 16 * MIB as usize,
        ..config()
    };
    let na = Network::start(alice.node.clone(), config).await.unwrap();
    let mut stalled = Vec::new();
    for m in &nodes[2..] {
        let (raw, mut s) = as_member(&m.node, &na, &ns).await;
        // Announce a 4 MiB frame, send one chunk of it, then nothing.
        let mut frame = (4 * MIB as u32 - 16).to_be_bytes().to_vec();
        frame.extend(std::iter::repeat_n(5u8, 64 * 1024));
        s.send_bytes(&frame).await;
        stalled.push((raw, s));
    }
    let nb = start(bob).await;
    let started = Instant::now();
    connect(&nb, &na).await;
    let report = tokio::time::timeout(Duration::from_secs(8), nb.sync_now(WAIT)).await;
    let took = started.elapsed();
    eprintln!("Bob's full sync of 200 items with 4 stalled frames: {took:?}");
    let report = report.expect("Bob's sync was held up by the stalled frames").unwrap();
    assert!(report.complete(), "{report:?}");
    assert_eq!(titles(&bob.node).len(), 200);
    // The stalled frames were still stalled meanwhile: their chunk deadline had not passed.
    assert!(took < partage_net::CHUNK_DEADLINE, "{took:?}");
    drop(stalled);
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}

/// A document of `m` with `n` concurrent heads (each a change on the same base by another
/// actor), every head signed by `m`'s device.
fn poisoned(m: &Node, ns: &NeighbourhoodId, n: usize) -> DocBundle {
    let me = member(m);
    let base = m.doc_bundle(ns, &me, &[]).unwrap();
    let DocPayload::Snapshot(bytes) = &base.payload else { panic!("a snapshot") };
    let key = SecretKey::from_bytes(&m.device_secret().unwrap());
    let mut changes = Vec::new();
    let mut attestations = Vec::new();
    for i in 0..n {
        let mut doc = AutoCommit::load(bytes).unwrap().with_actor(ActorId::random());
        let profile = match doc.get(ROOT, "profile").unwrap() {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => panic!("no profile"),
        };
        doc.put(&profile, "note", ScalarValue::Uint(i as u64)).unwrap();
        let hash = doc.commit().unwrap();
        changes.push(doc.get_change_by_hash(&hash).unwrap().raw_bytes().to_vec());
        attestations.push(Attestation::sign(&key, ns, &me, &hash));
    }
    DocBundle { payload: DocPayload::Changes(changes), attestations, ..base }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_poisoned_document_cannot_get_an_honest_relay_banned() {
    let (nodes, ns) = neighbourhood(&["Alice", "Mallory", "Carol"]);
    sync_all(&nodes, &ns);
    let (alice, mallory, carol) = (&nodes[0], &nodes[1], &nodes[2]);
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    // Mallory's document with 300 concurrent heads, more than a message can carry signatures
    // for: an honest node refuses it on import, as the wire would.
    let bundle = poisoned(&mallory.node, &ns, 300);
    let err = alice.node.import_bundle(&bundle).unwrap_err();
    assert!(
        matches!(err, Error::Rejected(VerifyError::TooMany { .. } | VerifyError::TooManyHeads { .. })),
        "{err}"
    );
    // Built up in steps, each within the message limits: 200 concurrent heads are accepted,
    // 200 more would make 400 and are refused, leaving Alice's copy as it was.
    alice.node.import_bundle(&poisoned(&mallory.node, &ns, 200)).unwrap();
    let heads_before = alice.node.doc_summaries(&ns).unwrap();
    let err = alice.node.import_bundle(&poisoned(&mallory.node, &ns, 200)).unwrap_err();
    assert!(matches!(err, Error::Rejected(VerifyError::TooManyHeads { .. })), "{err}");
    assert_eq!(alice.node.doc_summaries(&ns).unwrap(), heads_before);
    // Carol syncs with Alice (the honest relay): she gets everything and bans no one.
    let (na, nc) = (start(alice).await, start(carol).await);
    let mut events = carol.node.subscribe();
    connect(&nc, &na).await;
    let report = nc.sync_now(WAIT).await.unwrap();
    assert!(report.complete(), "{report:?}");
    assert_eq!(titles(&carol.node), ["Perceuse"]);
    let mut misbehaved = Vec::new();
    while let Some(e) = events.try_recv() {
        if let partage::Event::Network(NetEvent::PeerMisbehaved { reason, .. }) = e {
            misbehaved.push(reason);
        }
    }
    assert!(misbehaved.is_empty(), "{misbehaved:?}");
    na.stop().await.unwrap();
    nc.stop().await.unwrap();
}

/// A fresh device of the member `m`, certified with m's own member key (what a hostile member
/// can mint at will): its secret and its membership proof.
/// A push of no changes with the attestations of `m`'s whole document: what a node holding
/// that document answers from hash lookups alone.
fn replay_of(m: &Node, ns: &NeighbourhoodId) -> WireBundle {
    let me = member(m);
    let whole = m.doc_bundle(ns, &me, &[]).unwrap();
    WireBundle {
        neighbourhood: *ns,
        owner: me,
        owner_chain: None,
        owner_admissions: vec![],
        device_revocations: vec![],
        devices: vec![],
        payload: DocPayload::Changes(vec![]).into(),
        attestations: whole.attestations,
    }
}

fn minted_device(m: &Node, ns: &NeighbourhoodId) -> ([u8; 32], MembershipProof) {
    let member_key = SecretKey::from_bytes(&m.export_data().unwrap().identity.member_secret.unwrap());
    let device = SecretKey::generate().unwrap();
    let cert = DeviceCert::issue(&member_key, DeviceId(device.public()), 1);
    let proof = m.membership_proof(ns).unwrap();
    (device.to_bytes(), MembershipProof { device: cert, ..proof })
}

/// A raw session past the proofs, as the device holding `secret` with `proof`; `None` if the
/// node turned it away.
async fn as_device(
    secret: [u8; 32],
    proof: MembershipProof,
    net: &Network,
    ns: &NeighbourhoodId,
    ns_secret: [u8; 32],
) -> Option<(RawPeer, RawStream)> {
    let (raw, mut s) = offer(secret, ns_secret, net).await;
    s.send(&Msg::Proof { ns: *ns, proof: s.bind(proof, secret) }).await;
    loop {
        match s.recv().await {
            Some(Msg::Summary { .. }) => return Some((raw, s)),
            Some(_) => {}
            None => return None,
        }
    }
}

/// A hostile member floods a node with pushes that bring nothing new for FLOOD, and when cut off
/// keeps coming back with freshly minted devices. The node answers replays from hash lookups
/// (no signature checked), cuts the connection off after a bounded number, then turns away every
/// device of that member; it writes nothing, reports nothing as received, keeps its memory, and
/// an honest member's edit still arrives during the flood.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_flood_of_hellos_and_empty_pushes_costs_no_write_and_edits_still_arrive() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Mallory"]);
    sync_all(&nodes, &ns);
    let (alice, bob, mallory) = (&nodes[0], &nodes[1], &nodes[2]);
    let na = start(alice).await;
    let nb = start(bob).await;
    connect(&nb, &na).await;
    nb.sync_now(WAIT).await.unwrap();
    let store = alice.dir.path().join(partage::node::STORE_FILE);
    let mut events = alice.node.subscribe();
    let flood: Duration = Duration::from_secs(
        std::env::var("PARTAGE_FLOOD_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60),
    );
    let me = member(&mallory.node);
    let replay = replay_of(&mallory.node, &ns);
    let ns_secret = mallory.node.neighbourhood_secret(&ns).unwrap();
    let push = partage_net::wire::encode(&Msg::Bundle { answer: false, bundle: replay }, usize::MAX).unwrap();
    // Let the writes of the honest sync land (remembering Bob): any later write is the flood's.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let written_before = std::fs::metadata(&store).unwrap().modified().unwrap();
    let base = reset_peak();
    let started = Instant::now();
    let (mut connections, mut refused, mut pushes, mut acks, mut most_acks) = (0u64, 0u64, 0u64, 0u64, 0u64);
    // Half-way through, Bob adds an item: it must reach Alice while the flood goes on.
    let mut edited = false;
    let mut arrived = None;
    let mut written_mid = None;
    while started.elapsed() < flood {
        let (secret, proof) = minted_device(&mallory.node, &ns);
        let Some((mut raw, s)) = as_device(secret, proof, &na, &ns, ns_secret).await else {
            refused += 1;
            if !edited && started.elapsed() >= flood / 2 {
                written_mid = Some(std::fs::metadata(&store).unwrap().modified().unwrap());
                bob.node.add_item(&ns, draft("Pendant")).unwrap();
                edited = true;
            }
            if edited && arrived.is_none() && titles(&alice.node).contains(&"Pendant".to_string()) {
                arrived = Some(started.elapsed());
            }
            continue;
        };
        connections += 1;
        // The node's acknowledgements are read as they come, as an honest peer would.
        let RawStream { mut reader, mut writer, .. } = s;
        let counted = tokio::spawn(async move {
            let mut acks = 0u64;
            while let Ok(Some(len)) = partage_net::wire::read_len(&mut reader, usize::MAX).await {
                let Ok(body) = partage_net::wire::read_body(&mut reader, len).await else { break };
                if matches!(partage_net::wire::decode(&body), Ok(Msg::Status { ack: true, .. })) {
                    acks += 1;
                }
            }
            acks
        });
        while started.elapsed() < flood && !raw.disconnected_now() {
            use futures::AsyncWriteExt;
            if writer.write_all(&push).await.is_err() {
                break;
            }
            pushes += 1;
            if !edited && started.elapsed() >= flood / 2 {
                // Until now, only Mallory's pushes reached Alice: her store must be as it was.
                written_mid = Some(std::fs::metadata(&store).unwrap().modified().unwrap());
                bob.node.add_item(&ns, draft("Pendant")).unwrap();
                edited = true;
            }
            if edited && arrived.is_none() && titles(&alice.node).contains(&"Pendant".to_string()) {
                arrived = Some(started.elapsed());
            }
        }
        drop(writer);
        let wait =
            if started.elapsed() < flood { Duration::from_secs(5) } else { Duration::from_millis(200) };
        let _ = raw.disconnected_within(wait).await;
        let got = tokio::time::timeout(wait, counted).await.ok().and_then(Result::ok).unwrap_or(0);
        acks += got;
        most_acks = most_acks.max(got);
    }
    let flood_took = started.elapsed();
    let flood_peak = peak().saturating_sub(base);
    let mut received = 0;
    while let Some(e) = events.try_recv() {
        if let partage::Event::Network(NetEvent::DocReceived { owner, .. }) = e
            && owner == me
        {
            received += 1;
        }
    }
    eprintln!(
        "{pushes} empty pushes in {flood_took:?}, {acks} acknowledged (at most {most_acks} per \
         connection); minted devices: {connections} let in, {refused} turned away; peak memory \
         +{:.1} MiB, store written by the flood: {}, DocReceived from it: {received}, Bob's edit \
         arrived at {arrived:?}",
        flood_peak as f64 / MIB as f64,
        written_mid != Some(written_before)
    );
    // Replays are answered from hash lookups (no signature checked), and a flood of them is cut off.
    assert!(most_acks <= 2_100, "a connection got {most_acks} replays answered before being cut off");
    assert_eq!(connections, 1, "a member cut off for misbehaving came back with a fresh device");
    assert!(refused > 0, "the flood never tried a fresh device");
    assert!(arrived.is_some(), "Bob's edit did not reach Alice during the flood");
    assert_eq!(written_mid, Some(written_before), "an empty push wrote to the store");
    assert_eq!(received, 0, "empty pushes were reported as received documents");
    assert!(flood_peak < 64 * MIB, "the flood raised peak memory by {} MiB", flood_peak / MIB);

    // Hellos asking for new rounds, far faster than the protocol allows, from another member:
    // cut off.
    let (secret, proof) = minted_device(&bob.node, &ns);
    let (mut raw, mut s) =
        as_device(secret, proof, &na, &ns, ns_secret).await.expect("Bob's new device is let in");
    let hello = partage_net::wire::encode(&Msg::Hello { reply: true, entries: vec![] }, usize::MAX).unwrap();
    for _ in 0..100 {
        s.send_bytes(&hello).await;
    }
    assert!(raw.disconnected().await, "a hello flood was not cut off");

    // Bob's edits still reach Alice.
    bob.node.add_item(&ns, draft("Tente")).unwrap();
    eventually("Bob's edit to reach Alice", || titles(&alice.node).contains(&"Tente".to_string())).await;
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}

/// An automerge document chunk declaring `head`, with one compressed column that inflates to
/// `zeros` zero bytes (a few hundred KB on the wire).
fn decompression_bomb(head: [u8; 32], zeros: usize) -> Vec<u8> {
    use std::io::Write;
    fn leb(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..zeros / block.len() {
        z.write_all(&block).unwrap();
    }
    let column = z.finish().unwrap();
    let mut body = Vec::new();
    leb(0, &mut body);
    leb(1, &mut body);
    body.extend(head);
    leb(1, &mut body);
    leb((1 << 4) | 0b1000, &mut body);
    leb(column.len() as u64, &mut body);
    leb(0, &mut body);
    body.extend(&column);
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 0];
    leb(body.len() as u64, &mut chunk);
    chunk.extend(body);
    chunk
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_decompression_bomb_is_refused_within_its_cap() {
    let (nodes, ns) = neighbourhood(&["Alice", "Mallory"]);
    let (alice, mallory) = (&nodes[0], &nodes[1]);
    // Mallory signs the head her bomb declares: only its inflation can stop it.
    let me = member(&mallory.node);
    let head = [42u8; 32];
    let key = SecretKey::from_bytes(&mallory.node.device_secret().unwrap());
    let signed = Attestation::sign(&key, &ns, &me, &automerge::ChangeHash(head));
    let bomb = decompression_bomb(head, 128 << 20);
    assert!(bomb.len() < 4 << 20, "{}", bomb.len());
    let na = start(alice).await;
    let (mut raw, mut s) = as_member(&mallory.node, &na, &ns).await;
    let mut events = alice.node.subscribe();
    let bundle = WireBundle {
        neighbourhood: ns,
        owner: me,
        owner_chain: None,
        owner_admissions: vec![],
        device_revocations: vec![],
        devices: vec![],
        payload: DocPayload::Snapshot(bomb).into(),
        attestations: vec![signed],
    };
    let base = reset_peak();
    let started = Instant::now();
    s.send(&Msg::Bundle { answer: false, bundle }).await;
    let e = next_net_event(&mut events, "the bomb refused", |e| matches!(e, NetEvent::PeerMisbehaved { .. }))
        .await;
    let took = started.elapsed();
    let grew = peak().saturating_sub(base);
    eprintln!(
        "a snapshot inflating to 128 MiB: refused in {took:?}, peak memory +{:.1} MiB ({e:?})",
        grew as f64 / MIB as f64
    );
    assert!(matches!(&e, NetEvent::PeerMisbehaved { reason, .. } if reason.contains("inflate")), "{e:?}");
    assert!(raw.disconnected().await);
    assert!(grew < 64 * MIB, "the bomb raised peak memory by {} MiB", grew / MIB);
    assert_eq!(titles(&alice.node), Vec::<String>::new());
    na.stop().await.unwrap();
}

/// A member who labels replayed pushes as answers to wants the node never sent is limited like
/// any other pusher: the connection is cut off after the replay limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_pushes_labelled_as_answers_are_limited_like_pushes() {
    let (nodes, ns) = neighbourhood(&["Alice", "Mallory"]);
    sync_all(&nodes, &ns);
    let (alice, mallory) = (&nodes[0], &nodes[1]);
    let na = start(alice).await;
    let replay = replay_of(&mallory.node, &ns);
    let (mut raw, s) = as_member(&mallory.node, &na, &ns).await;
    let RawStream { reader, mut writer, .. } = s;
    // Nothing is read back: a flooder need not read (the node has nothing to answer to these).
    let _keep = reader;
    let frame = partage_net::wire::encode(&Msg::Bundle { answer: true, bundle: replay }, usize::MAX).unwrap();
    let mut sent = 0u32;
    while sent < 5_000 && !raw.disconnected_now() {
        use futures::AsyncWriteExt;
        if writer.write_all(&frame).await.is_err() {
            break;
        }
        sent += 1;
    }
    assert!(
        raw.disconnected_within(Duration::from_secs(10)).await || raw.disconnected_now() || sent < 5_000,
        "5,000 replays labelled as answers were taken without a cut-off"
    );
    assert!(sent > 2_000, "cut off after {sent} replays, before the limit of 2,000 per 10 s");
}
