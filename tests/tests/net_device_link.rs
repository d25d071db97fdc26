//! Linking a device over real libp2p on 127.0.0.1: the tablet scans the code Alice's phone
//! shows, receives its certificate and Alice's data from the phone, then syncs with a neighbour
//! on its own. A stranger with a wrong secret, or garbage, gets a refusal and nothing else.

mod net_common;

use futures::{AsyncReadExt, AsyncWriteExt};
use net_common::raw::RawPeer;
use net_common::*;
use partage::events::NetEvent;
use partage::link::LinkCode;
use partage::{Error, LinkError, Node};
use partage_net::NetError;
use partage_tests::{draft, neighbourhood};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_linked_tablet_syncs_alices_items_with_her_neighbours() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    bob.add_item(&ns, draft("Tondeuse")).unwrap();
    let (na, nb) = (start(&nodes[0]).await, start(&nodes[1]).await);
    let mut events = alice.subscribe();
    let code = na.offer_link(false).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let tablet = Node::open(dir.path()).unwrap();
    let summary = partage_net::link_device(&tablet, &code, WAIT).await.unwrap();
    assert_eq!(summary.neighbourhoods, 1);
    let tablet_device = tablet.identity().unwrap().unwrap().device;
    let linked =
        next_net_event(&mut events, "DeviceLinked", |e| matches!(e, NetEvent::DeviceLinked { .. })).await;
    assert_eq!(linked, NetEvent::DeviceLinked { device: tablet_device });
    assert_eq!(tablet.identity().unwrap().unwrap().member, alice.identity().unwrap().unwrap().member);
    assert_eq!(titles(&tablet), ["Perceuse"], "the phone's copy arrived with the link");

    // The tablet meets Bob alone (Alice's phone is not connected to Bob yet): both of Alice's
    // devices' items, and Bob's, end up everywhere.
    tablet.add_item(&ns, draft("Tente")).unwrap();
    let nt = start_node(&tablet).await;
    connect(&nt, &nb).await;
    eventually("Bob has the tablet's item", || titles(bob).contains(&"Tente".to_string())).await;
    connect(&na, &nb).await;
    converge(&[alice, bob, &tablet], &ns, 3).await;
    assert_eq!(titles(alice), ["Perceuse", "Tente", "Tondeuse"]);
    for n in [na, nb, nt] {
        n.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_wrong_secret_gets_a_refusal_and_the_real_code_still_works() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(&nodes[0]).await;
    let code = na.offer_link(false).await.unwrap();
    let mut forged = LinkCode::decode(&code).unwrap();
    forged.secret = [7; 32];

    let dir = tempfile::tempdir().unwrap();
    let thief = Node::open(dir.path()).unwrap();
    let refused = partage_net::link_device(&thief, &forged.encode(), WAIT).await;
    assert!(matches!(refused, Err(NetError::Node(Error::Link(LinkError::Refused(_))))), "{refused:?}");
    assert!(thief.identity().unwrap().is_none(), "nothing stored");

    let dir = tempfile::tempdir().unwrap();
    let tablet = Node::open(dir.path()).unwrap();
    partage_net::link_device(&tablet, &code, WAIT).await.unwrap();
    assert_eq!(titles(&tablet), ["Perceuse"]);
    // Used once: the same code gives a second device nothing.
    let dir = tempfile::tempdir().unwrap();
    let second = Node::open(dir.path()).unwrap();
    let again = partage_net::link_device(&second, &code, WAIT).await;
    assert!(matches!(again, Err(NetError::Node(Error::Link(LinkError::Refused(_))))), "{again:?}");
    assert!(second.identity().unwrap().is_none());
    na.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_stranger_on_the_link_protocol_reads_no_grant() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(&nodes[0]).await;
    let code = na.offer_link(false).await.unwrap();
    let at = addr(&na).await;

    // A huge length prefix: the stream is closed without an answer, nothing allocated for it.
    let mut stranger = RawPeer::new([41; 32]);
    let mut stream = stranger.open(at.clone(), na.peer_id(), partage_net::link::LINK_PROTOCOL).await;
    stream.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await.expect("closed in time");
    assert!(read.is_err() || answer.is_empty(), "no answer to an oversized request");

    // A request with a guessed secret: a refusal that carries no member, device or item data.
    let mut stranger = RawPeer::new([42; 32]);
    let mut stream = stranger.open(at, na.peer_id(), partage_net::link::LINK_PROTOCOL).await;
    let request = [postcard::to_allocvec(&1u32).unwrap(), vec![9u8; 32]].concat();
    stream.write_all(&(request.len() as u32).to_be_bytes()).await.unwrap();
    stream.write_all(&request).await.unwrap();
    stream.flush().await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await.expect("answered").unwrap();
    assert!(answer.len() < 200, "a short refusal, not a grant ({} bytes)", answer.len());
    let me = nodes[0].node.identity().unwrap().unwrap();
    for secret in [me.member.0, me.device.0] {
        assert!(!answer.windows(32).any(|w| w == secret), "the refusal names nobody");
    }
    assert!(!String::from_utf8_lossy(&answer).contains("Perceuse"));

    // The code still works for the real tablet.
    let dir = tempfile::tempdir().unwrap();
    let tablet = Node::open(dir.path()).unwrap();
    tokio::time::timeout(Duration::from_secs(120), partage_net::link_device(&tablet, &code, WAIT))
        .await
        .expect("in time")
        .unwrap();
    na.stop().await.unwrap();
}

/// A stranger who holds the one link slot (a link stream, no request) only delays a link: the
/// new device tries again until the slot is free (the stranger's 10 s are up), and links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_stranger_holding_the_link_slot_only_delays_the_link() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(&nodes[0]).await;
    let code = na.offer_link(false).await.unwrap();
    let mut stranger = RawPeer::new([43; 32]);
    let held = stranger.open(addr(&na).await, na.peer_id(), partage_net::link::LINK_PROTOCOL).await;
    let dir = tempfile::tempdir().unwrap();
    let tablet = Node::open(dir.path()).unwrap();
    let linked =
        tokio::time::timeout(Duration::from_secs(120), partage_net::link_device(&tablet, &code, WAIT))
            .await
            .expect("in time");
    let summary = linked.expect("linked once the stranger's slot expired");
    assert!(summary.items >= 1, "{summary:?}");
    drop(held);
    na.stop().await.unwrap();
}
