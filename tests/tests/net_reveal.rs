//! Reveal nothing before proof (issue 12): a peer that knows a neighbourhood's id, or nothing at
//! all, learns no member id, chain or device certificate from the handshake, and a refusal does
//! not tell it whether the node is in the neighbourhood. Real libp2p on 127.0.0.1; the hostile
//! peers are driven frame by frame (see `net_common::raw`). Every received frame is scanned, as
//! bytes, for the member and device ids of every member.

mod net_common;

use net_common::raw::{RawPeer, RawStream};
use net_common::*;
use partage::store::legacy_neighbourhood_secret;
use partage::{NeighbourhoodId, Node};
use partage_net::PeerId;
use partage_net::digest::{SessionKey, tag};
use partage_net::wire::{self, HelloEntry, Msg};
use partage_tests::{TestNode, draft, neighbourhood};
use std::time::Duration;

/// How long a raw peer listens for more after its last frame.
const QUIET: Duration = Duration::from_secs(3);

/// Member ids and device ids of `nodes` (the ids a stranger must not learn).
fn ids_of(nodes: &[&Node]) -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    for n in nodes {
        let id = n.identity().unwrap().unwrap();
        out.push(id.member.0);
        out.push(id.device.0);
    }
    out
}

/// The ids among `ids` that appear anywhere in `bodies`.
fn leaked(bodies: &[Vec<u8>], ids: &[[u8; 32]]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        if bodies.iter().any(|b| b.windows(32).any(|w| w == id)) {
            out.push(id[..4].iter().map(|b| format!("{b:02x}")).collect());
        }
    }
    out
}

/// The kinds of the decoded frames (undecodable ones as "?").
fn kinds(bodies: &[Vec<u8>]) -> Vec<&'static str> {
    bodies.iter().map(|b| wire::decode(b).map(|m| m.name()).unwrap_or("?")).collect()
}

fn is_proof(body: &[u8]) -> bool {
    matches!(wire::decode(body), Ok(Msg::Proof { .. }))
}

/// The node's first frame (its `Hello`) and its entries.
async fn first_hello(s: &mut RawStream) -> (Vec<u8>, Vec<HelloEntry>) {
    let body = s.recv_body_within(WAIT).await.expect("the node's hello");
    match wire::decode(&body) {
        Ok(Msg::Hello { entries, .. }) => (body, entries),
        other => panic!("expected a hello first, got {other:?}"),
    }
}

/// The tag of `ns` as the handshake computed it before issue 12: keyed by the neighbourhood id
/// over a session key symmetric in the two peers. Anyone who knows the id can compute it.
fn id_only_tag(a: &PeerId, b: &PeerId, ns: &NeighbourhoodId) -> [u8; 32] {
    let (a, b) = (a.to_bytes(), b.to_bytes());
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h = blake3::Hasher::new_derive_key("partage/sync/1 session");
    h.update(&(lo.len() as u32).to_be_bytes());
    h.update(&lo);
    h.update(&hi);
    let session = *h.finalize().as_bytes();
    let mut h = blake3::Hasher::new_keyed(&ns.0);
    h.update(b"partage/sync/1 tag");
    h.update(&session);
    *h.finalize().as_bytes()
}

/// Alice (one item, online) and Bob in one neighbourhood, and a raw session of Eve's (who holds
/// no ticket) to Alice. The raw peer is returned too: its swarm carries the session.
async fn eve_meets_alice() -> (Vec<TestNode>, NeighbourhoodId, partage_net::Network, RawPeer, RawStream) {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(&nodes[0]).await;
    let eve = TestNode::new("Eve");
    let mut raw = RawPeer::new(eve.node.device_secret().unwrap());
    let s = raw.session(addr(&na).await, na.peer_id()).await;
    (nodes, ns, na, raw, s)
}

/// Eve, who holds no ticket, sends the member's own `Hello` entries back to it: if tags were
/// the same on both sides, she would pass for a member and get the node's proof.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_echoed_hello_gets_no_proof_and_no_member_id() {
    let (nodes, _ns, _na, _raw, mut s) = eve_meets_alice().await;
    let (alice, bob) = (&nodes[0], &nodes[1]);
    let (hello, entries) = first_hello(&mut s).await;
    assert!(!entries.is_empty(), "Alice announces her neighbourhood (as an opaque tag)");
    s.send(&Msg::Hello { reply: false, entries }).await;
    let mut bodies = vec![hello];
    bodies.extend(s.drain_bodies(QUIET).await);
    assert!(!bodies.iter().any(|b| is_proof(b)), "the echo got a proof: {:?}", kinds(&bodies));
    let leaks = leaked(&bodies, &ids_of(&[&alice.node, &bob.node]));
    assert!(leaks.is_empty(), "ids leaked to the echo: {leaks:?} in {:?}", kinds(&bodies));
}

/// Eve knows the neighbourhood id (from an expired ticket, a certificate, a screenshot) and
/// computes every tag she can from it; none gets her a proof or a member id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_peer_knowing_only_the_id_learns_no_member_id() {
    let (nodes, ns, na, raw, mut s) = eve_meets_alice().await;
    let (alice, bob) = (&nodes[0], &nodes[1]);
    let (hello, _) = first_hello(&mut s).await;
    let old = id_only_tag(&raw.peer_id, &na.peer_id(), &ns);
    let mut entries = vec![HelloEntry { tag: old, digest: [0; 32] }];
    for tag in id_keyed_tags(&raw.peer_id, &na.peer_id(), &ns) {
        entries.push(HelloEntry { tag, digest: [0; 32] });
    }
    s.send(&Msg::Hello { reply: false, entries }).await;
    let mut bodies = vec![hello];
    bodies.extend(s.drain_bodies(QUIET).await);
    assert!(!bodies.iter().any(|b| is_proof(b)), "a tag from the id got a proof: {:?}", kinds(&bodies));
    let leaks = leaked(&bodies, &ids_of(&[&alice.node, &bob.node]));
    assert!(leaks.is_empty(), "ids leaked to a peer knowing the id: {leaks:?} in {:?}", kinds(&bodies));
}

/// Tags computed with the current functions from what the id gives: the id itself, and the
/// legacy secret derived from it (what neighbourhoods made before shared secrets use), each
/// bound to either side (what someone who knows the id and the code would try).
fn id_keyed_tags(eve: &PeerId, node: &PeerId, ns: &NeighbourhoodId) -> Vec<[u8; 32]> {
    let key = SessionKey::new(eve, node);
    let mut out = Vec::new();
    for secret in [ns.0, legacy_neighbourhood_secret(ns)] {
        for sender in [eve, node] {
            out.push(tag(&key, &secret, sender));
        }
    }
    out
}

/// The control: a peer that knows the neighbourhood's secret (here Bob's device, a member) and
/// sends its own tag gets the node's proof, and the scan above sees the ids in it. Without
/// this, the tests above could pass by scanning wrongly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_peer_with_the_secret_gets_the_proof_after_its_tag() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    let na = start(alice).await;
    let mut raw = RawPeer::new(bob.node.device_secret().unwrap());
    let mut s = raw.session(addr(&na).await, na.peer_id()).await;
    let (hello, entries) = first_hello(&mut s).await;
    let key = SessionKey::new(&raw.peer_id, &na.peer_id());
    let secret = bob.node.neighbourhood_secret(&ns).unwrap();
    // Alice's tag is hers: computed with her peer id, not the one she expects from Bob.
    assert_eq!(entries.iter().map(|e| e.tag).collect::<Vec<_>>(), [tag(&key, &secret, &na.peer_id())]);
    // Before Bob says anything, Alice has sent nothing but her hello.
    assert!(s.recv_body_within(QUIET).await.is_none(), "Alice said more before Bob's tag");
    s.send(&Msg::Hello {
        reply: false,
        entries: vec![HelloEntry { tag: tag(&key, &secret, &raw.peer_id), digest: [0; 32] }],
    })
    .await;
    let mut bodies = vec![hello];
    bodies.extend(s.drain_bodies(QUIET).await);
    assert!(bodies.iter().any(|b| is_proof(b)), "{:?}", kinds(&bodies));
    let alice_ids = ids_of(&[&alice.node]);
    assert_eq!(leaked(&bodies, &alice_ids).len(), 2, "the scan finds Alice's member and device ids");
}

/// identify, which answers anyone who connects, names no application version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_identify_tells_strangers_no_application_version() {
    use futures::StreamExt;
    use libp2p::swarm::SwarmEvent;
    use libp2p::{SwarmBuilder, identify, noise, tcp, yamux};
    let (nodes, _) = neighbourhood(&["Alice"]);
    let na = start(&nodes[0]).await;
    let mut swarm = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|k| identify::Behaviour::new(identify::Config::new("/ipfs/0.1.0".into(), k.public())))
        .unwrap()
        .build();
    swarm.dial(addr(&na).await).unwrap();
    let info = tokio::time::timeout(WAIT, async {
        loop {
            if let SwarmEvent::Behaviour(identify::Event::Received { peer_id, info, .. }) =
                swarm.select_next_some().await
                && peer_id == na.peer_id()
            {
                return info;
            }
        }
    })
    .await
    .expect("the node's identify info");
    assert_eq!(info.agent_version, "partage");
    assert!(!info.agent_version.chars().any(|c| c.is_ascii_digit()), "{}", info.agent_version);
    let version = env!("CARGO_PKG_VERSION");
    assert!(!info.protocol_version.contains(version), "{}", info.protocol_version);
    assert!(!info.agent_version.contains(version));
}

/// What a non-member sees after presenting a made-up proof for `ns`, in a fresh session.
async fn answer_to_made_up_proof(
    eve: &TestNode,
    na: &partage_net::Network,
    ns: NeighbourhoodId,
) -> Vec<Vec<u8>> {
    let eves = eve.node.neighbourhood_ids().unwrap();
    let mut raw = RawPeer::new(eve.node.device_secret().unwrap());
    let mut s = raw.session(addr(na).await, na.peer_id()).await;
    let _ = first_hello(&mut s).await;
    let mut entries =
        vec![HelloEntry { tag: id_only_tag(&raw.peer_id, &na.peer_id(), &ns), digest: [0; 32] }];
    for tag in id_keyed_tags(&raw.peer_id, &na.peer_id(), &ns) {
        entries.push(HelloEntry { tag, digest: [0; 32] });
    }
    s.send(&Msg::Hello { reply: false, entries }).await;
    s.send(&Msg::Proof { ns, proof: s.proof(&eve.node, &eves[0]) }).await;
    let bodies = s.drain_bodies(QUIET).await;
    drop(s);
    drop(raw);
    bodies
}

/// A made-up proof for a neighbourhood the node is in and for one it is not in get the same
/// answer: a refusal does not confirm membership.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_refusals_do_not_tell_whether_the_node_is_a_member() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0];
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(alice).await;
    let eve = TestNode::new("Eve");
    eve.node.create_neighbourhood("Ailleurs").unwrap();
    let other = TestNode::new("Oscar");
    let elsewhere = other.node.create_neighbourhood("Autre part").unwrap().id;
    let member_of = answer_to_made_up_proof(&eve, &na, ns).await;
    let not_member_of = answer_to_made_up_proof(&eve, &na, elsewhere).await;
    assert_eq!(kinds(&member_of), kinds(&not_member_of));
    // Same frames, byte for byte (no reason text that differs).
    assert_eq!(member_of, not_member_of);
    let leaks = leaked(&member_of, &ids_of(&[&alice.node, &nodes[1].node]));
    assert!(leaks.is_empty(), "{leaks:?}");
}
