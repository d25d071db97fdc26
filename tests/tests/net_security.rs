//! Only members see a neighbourhood; a peer that sends garbage, oversized or forged data is
//! disconnected, reported, and nothing it sent is applied. Real libp2p on 127.0.0.1; the hostile
//! peers are driven frame by frame (see `net_common::raw`).

mod net_common;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use net_common::raw::{RawPeer, RawStream};
use net_common::*;
use partage::attest::Attestation;
use partage::events::NetEvent;
use partage::identity::SecretKey;
use partage::{DeviceId, DocPayload, MemberId, NeighbourhoodId, Node};
use partage_net::PeerId;
use partage_net::digest::{SessionKey, binding, tag};
use partage_net::wire::{HelloEntry, Msg, WireBundle, WireProof};
use partage_tests::{TestNode, draft, neighbourhood};
use std::time::Duration;

fn device(n: &Node) -> DeviceId {
    n.identity().unwrap().unwrap().device
}

fn member(n: &Node) -> MemberId {
    n.identity().unwrap().unwrap().member
}

/// Opens a raw session to `net` and offers a neighbourhood with a digest that cannot match,
/// proving knowledge of its shared secret `ns_secret` (if the raw peer knows it).
async fn offer(raw: &mut RawPeer, net: &partage_net::Network, ns_secret: [u8; 32]) -> RawStream {
    let mut s = raw.session(addr(net).await, net.peer_id()).await;
    let key = SessionKey::new(&raw.peer_id, &net.peer_id());
    let tag = tag(&key, &ns_secret, &raw.peer_id);
    s.send(&Msg::Hello { reply: false, entries: vec![HelloEntry { tag, digest: [0; 32] }] }).await;
    s
}

fn carries_data(m: &Msg) -> bool {
    matches!(m, Msg::Summary { .. } | Msg::Want { .. } | Msg::Bundle { .. } | Msg::NoChange { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_non_member_peer_gets_nothing() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0];
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let eve = TestNode::new("Eve");
    eve.node.create_neighbourhood("Ailleurs").unwrap();
    eve.node.add_item(&eve.node.neighbourhood_ids().unwrap()[0], draft("Secret d'Eve")).unwrap();
    let (na, ne) = (start(alice).await, start(&eve).await);
    connect(&ne, &na).await;
    let report = ne.sync_now(WAIT).await.unwrap();
    assert_eq!(report.peers.len(), 1, "{report:?}");
    assert!(report.complete(), "{report:?}");
    let outcome = report.peers[0].outcome.clone().unwrap();
    assert_eq!((outcome.docs_received, outcome.docs_sent), (0, 0));
    // Eve has nothing of Alice's neighbourhood, Alice nothing of Eve's.
    assert_eq!(titles(&eve.node), ["Secret d'Eve"]);
    assert!(eve.node.members(&ns).is_err());
    assert_eq!(titles(&alice.node), ["Perceuse"]);
    assert!(na.peers().iter().all(|p| p.member.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_replayed_proof_gets_nothing() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(alice).await;
    // Eve knows the neighbourhood's secret (she saw a ticket, now expired) and has Bob's proof
    // as Bob sent it on another connection (his signature over that session's binding), but
    // not Bob's device key. Then she tries signing the binding herself.
    let eve = TestNode::new("Eve");
    let elsewhere = PeerId::random();
    let recorded = binding(&SessionKey::new(&elsewhere, &na.peer_id()), &elsewhere);
    let replayed = WireProof::new(
        bob.node.membership_proof(&ns).unwrap(),
        bob.node.sign_session_binding(&recorded).unwrap(),
    );
    for attempt in ["replayed", "signed by Eve"] {
        let mut events = alice.node.subscribe();
        // A fresh transport key each time (the first one gets banned).
        let mut raw = RawPeer::new(SecretKey::generate().unwrap().to_bytes());
        let mut s = offer(&mut raw, &na, alice.node.neighbourhood_secret(&ns).unwrap()).await;
        let proof = match attempt {
            "replayed" => replayed.clone(),
            _ => s.bind(bob.node.membership_proof(&ns).unwrap(), eve.node.device_secret().unwrap()),
        };
        s.send(&Msg::Proof { ns, proof }).await;
        let why = next_net_event(&mut events, "Alice to turn Eve away", |e| {
            matches!(e, NetEvent::PeerMisbehaved { .. } | NetEvent::PeerVerified { .. })
        })
        .await;
        assert!(
            matches!(&why, NetEvent::PeerMisbehaved { reason, .. } if reason.contains("not bound to this session")),
            "{attempt}: {why:?}"
        );
        assert!(raw.disconnected().await, "{attempt}: Alice kept the connection");
        // Asking anyway gets nothing.
        s.send(&Msg::Want { ns, owner: member(&alice.node), heads: Vec::new() }).await;
        let seen = s.drain(Duration::from_secs(1)).await;
        assert!(!seen.iter().any(carries_data), "{attempt}: {seen:?}");
        assert!(na.peers().iter().all(|p| p.member.is_none() && p.device.is_none()), "{attempt}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_asking_without_a_proof_disconnects() {
    let (nodes, ns) = neighbourhood(&["Alice"]);
    let alice = &nodes[0];
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(alice).await;
    let mut events = alice.node.subscribe();
    let eve = TestNode::new("Eve");
    let mut raw = RawPeer::new(eve.node.device_secret().unwrap());
    let mut s = offer(&mut raw, &na, ns.0).await;
    s.send(&Msg::Want { ns, owner: member(&alice.node), heads: Vec::new() }).await;
    let seen = s.drain(Duration::from_secs(5)).await;
    assert!(!seen.iter().any(carries_data), "{seen:?}");
    assert!(raw.disconnected().await);
    let e =
        next_net_event(&mut events, "misbehaviour", |e| matches!(e, NetEvent::PeerMisbehaved { .. })).await;
    assert!(matches!(e, NetEvent::PeerMisbehaved { peer, .. } if peer == device(&eve.node)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_revoked_member_gets_nothing_new() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    let bob_member = member(&bob.node);
    alice.node.revoke(&ns, &bob_member).unwrap();
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    bob.node.add_item(&ns, draft("Tente")).unwrap();
    let na = start(alice).await;
    let mut events = alice.node.subscribe();
    let nb = start(bob).await;
    connect(&nb, &na).await;
    let refused =
        next_net_event(&mut events, "Alice to refuse Bob", |e| matches!(e, NetEvent::PeerRefused { .. }))
            .await;
    // Named by Bob's transport key on this network (never his device key: ADR 0016).
    let bob_here = partage_net::device_of(&nb.peer_id());
    assert!(matches!(refused, NetEvent::PeerRefused { peer, .. } if Some(peer) == bob_here));
    assert_ne!(bob_here, Some(device(&bob.node)));
    let report = nb.sync_now(WAIT).await.unwrap();
    assert_eq!(report.peers.len(), 1, "{report:?}");
    // Neither side received the other's items.
    assert_eq!(titles(&bob.node), ["Tente"]);
    assert_eq!(titles(&alice.node), ["Perceuse"]);
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}

/// Alice's document with an item she never wrote, signed by Mallory's device.
fn forged_bundle(alice: &Node, mallory: &Node, ns: &NeighbourhoodId) -> WireBundle {
    let owner = member(alice);
    let real = alice.doc_bundle(ns, &owner, &[]).unwrap();
    let DocPayload::Snapshot(bytes) = &real.payload else { panic!("a fresh bundle is a snapshot") };
    let mut doc = AutoCommit::load(bytes).unwrap();
    let (_, items) = doc.get(ROOT, "items").unwrap().unwrap();
    let item = doc.put_object(&items, "00112233445566778899aabbccddeeff", ObjType::Map).unwrap();
    doc.put(&item, "title", "Forged").unwrap();
    doc.commit();
    let change = doc.get_last_local_change().unwrap();
    let key = SecretKey::from_bytes(&mallory.device_secret().unwrap());
    let mut devices = real.devices.clone();
    devices.push(mallory.membership_proof(ns).unwrap().device);
    WireBundle {
        neighbourhood: *ns,
        owner,
        owner_chain: Some(real.owner_chain),
        owner_admissions: real.owner_admissions,
        device_revocations: real.device_revocations,
        devices,
        payload: DocPayload::Changes(vec![change.raw_bytes().to_vec()]).into(),
        attestations: vec![Attestation::sign(&key, ns, &owner, &change.hash())],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_forged_changes_disconnect_the_peer_and_apply_nothing() {
    let (nodes, ns) = neighbourhood(&["Alice", "Mallory"]);
    let (alice, mallory) = (&nodes[0], &nodes[1]);
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let before = alice.node.doc_summaries(&ns).unwrap();
    let na = start(alice).await;
    let mut events = alice.node.subscribe();
    // Mallory is a member: her proof passes, then she pushes a change into Alice's document.
    let mut raw = RawPeer::new(mallory.node.device_secret().unwrap());
    let mut s = offer(&mut raw, &na, mallory.node.neighbourhood_secret(&ns).unwrap()).await;
    s.send(&Msg::Proof { ns, proof: s.proof(&mallory.node, &ns) }).await;
    loop {
        match s.recv().await {
            Some(Msg::Summary { .. }) => break,
            Some(_) => {}
            None => panic!("Alice accepts Mallory's proof and sends her summary"),
        }
    }
    s.send(&Msg::Bundle { answer: false, bundle: forged_bundle(&alice.node, &mallory.node, &ns) }).await;

    let e =
        next_net_event(&mut events, "misbehaviour", |e| matches!(e, NetEvent::PeerMisbehaved { .. })).await;
    let NetEvent::PeerMisbehaved { peer, reason } = e else { unreachable!() };
    assert_eq!(peer, device(&mallory.node));
    assert!(reason.contains("failed verification"), "{reason}");
    assert!(raw.disconnected().await);
    // Nothing applied: same items, same document heads.
    assert_eq!(titles(&alice.node), ["Perceuse"]);
    assert_eq!(alice.node.doc_summaries(&ns).unwrap(), before);
    eventually("Mallory to be gone", || na.peers().iter().all(|p| !p.connected)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_garbage_and_oversized_messages_disconnect_the_peer() {
    let (nodes, ns) = neighbourhood(&["Alice"]);
    let alice = &nodes[0];
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let before = alice.node.doc_summaries(&ns).unwrap();
    let na = start(alice).await;
    let mut events = alice.node.subscribe();

    let mut garbage = RawPeer::new([11; 32]);
    let mut s = garbage.session(addr(&na).await, na.peer_id()).await;
    s.send_bytes(&[0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff]).await;
    assert!(garbage.disconnected().await);
    let e = next_net_event(&mut events, "garbage reported", |e| matches!(e, NetEvent::PeerMisbehaved { .. }))
        .await;
    assert!(matches!(e, NetEvent::PeerMisbehaved { reason, .. } if reason.contains("malformed")));

    let mut huge = RawPeer::new([12; 32]);
    let mut s = huge.session(addr(&na).await, na.peer_id()).await;
    s.send_bytes(&u32::MAX.to_be_bytes()).await;
    assert!(huge.disconnected().await);
    let e =
        next_net_event(&mut events, "oversize reported", |e| matches!(e, NetEvent::PeerMisbehaved { .. }))
            .await;
    assert!(matches!(e, NetEvent::PeerMisbehaved { reason, .. } if reason.contains("too large")));

    assert_eq!(alice.node.doc_summaries(&ns).unwrap(), before);
    assert_eq!(titles(&alice.node), ["Perceuse"]);
}
