//! Sync over real libp2p on 127.0.0.1: convergence, live edits, transitive spread, restarts.

mod net_common;

use net_common::*;
use partage::events::NetEvent;
use partage::{Event, ItemPatch};
use partage_tests::{draft, neighbourhood};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_two_nodes_converge() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    for t in ["Perceuse", "Échelle", "Raclette"] {
        alice.node.add_item(&ns, draft(t)).unwrap();
    }
    for t in ["Tondeuse", "Tente"] {
        bob.node.add_item(&ns, draft(t)).unwrap();
    }
    let (na, nb) = (start(alice).await, start(bob).await);
    connect(&nb, &na).await;
    converge(&[&alice.node, &bob.node], &ns, 5).await;
    assert_eq!(titles(&bob.node), ["Perceuse", "Raclette", "Tente", "Tondeuse", "Échelle"]);
    // Names came along with the documents.
    let owners: Vec<String> = inventory(&bob.node).into_iter().map(|v| v.owner_name).collect();
    assert!(owners.contains(&"Alice".to_string()) && owners.contains(&"Bob".to_string()));

    // A sync round on demand reports a converged peer.
    let report = nb.sync_now(WAIT).await.unwrap();
    assert_eq!(report.peers.len(), 1);
    assert!(report.complete(), "{report:?}");
    assert_eq!(report.peers[0].peer_id, na.peer_id());
    let peers = nb.peers();
    assert!(peers.iter().any(|p| p.peer_id == na.peer_id() && p.connected && p.member.is_some()));
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_live_propagation_of_one_edit() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    let drill = alice.node.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    let (na, nb) = (start(alice).await, start(bob).await);
    connect(&na, &nb).await;
    converge(&[&alice.node, &bob.node], &ns, 1).await;
    // Let the first round settle so the edit travels as a push, not as part of the round.
    let mut bob_events = bob.node.subscribe();
    eventually("the first round to finish", || nb.peers().iter().all(|p| !p.syncing)).await;

    let patch = ItemPatch { title: Some("Perceuse à percussion".into()), ..ItemPatch::default() };
    alice.node.edit_item(&drill, &patch).unwrap();
    let seen = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(Event::ItemUpdated(v)) = bob_events.recv().await {
                return v;
            }
        }
    })
    .await
    .expect("Bob sees the edit");
    assert_eq!(seen.item.title, "Perceuse à percussion");
    assert_eq!(seen.item.id, drill);
    // And the other way round, a new item.
    bob.node.add_item(&ns, draft("Tente")).unwrap();
    converge(&[&alice.node, &bob.node], &ns, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_transitive_spread_a_b_then_b_c() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let (alice, bob, chloe) = (&nodes[0], &nodes[1], &nodes[2]);
    alice.node.add_item(&ns, draft("Échelle double")).unwrap();
    chloe.node.add_item(&ns, draft("Remorque")).unwrap();
    let (na, nb) = (start(alice).await, start(bob).await);
    connect(&nb, &na).await;
    converge(&[&alice.node, &bob.node], &ns, 1).await;
    na.stop().await.unwrap();

    // Chloé never meets Alice, yet gets her ladder (and Alice's name) through Bob.
    let nc = start(chloe).await;
    connect(&nc, &nb).await;
    converge(&[&bob.node, &chloe.node], &ns, 2).await;
    let ladder = inventory(&chloe.node).into_iter().find(|v| v.item.title == "Échelle double").unwrap();
    assert_eq!(ladder.owner_name, "Alice");
    assert_eq!(titles(&alice.node), ["Échelle double"]);
    nb.stop().await.unwrap();
    nc.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_restarted_node_catches_up_from_its_store() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let bob = nodes.pop().unwrap();
    let alice = nodes.pop().unwrap();
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let na = start(&alice).await;
    let nb = start(&bob).await;
    connect(&nb, &na).await;
    converge(&[&alice.node, &bob.node], &ns, 1).await;
    // Bob remembered where Alice is, by the device she proved to be (her peer id is only her
    // transport key on this network), with addresses that name that transport key.
    let alice_device = alice.node.identity().unwrap().unwrap().device;
    assert_ne!(partage_net::device_of(&na.peer_id()), Some(alice_device));
    eventually("Bob to remember Alice", || {
        bob.node.known_peers().unwrap().iter().any(|p| {
            p.device == alice_device && p.addrs.iter().any(|a| a.ends_with(&na.peer_id().to_string()))
        })
    })
    .await;
    nb.stop().await.unwrap();
    drop(nb);

    // While Bob is away, Alice adds an item.
    alice.node.add_item(&ns, draft("Raclette")).unwrap();
    let bob = bob.reopen();
    // Bob's store still has what he had.
    assert_eq!(titles(&bob.node), ["Perceuse"]);
    // No address given: Bob redials Alice from his store and catches up.
    let mut events = bob.node.subscribe();
    let nb = start(&bob).await;
    next_net_event(&mut events, "Bob to reconnect", |e| matches!(e, NetEvent::PeerConnected { .. })).await;
    converge(&[&alice.node, &bob.node], &ns, 2).await;
    nb.stop().await.unwrap();
    na.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_pause_and_resume() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    // Something to exchange, so that the peers prove membership to each other.
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let (na, nb) = (start(alice).await, start(bob).await);
    let alice_addr = addr(&na).await;
    nb.add_peer_addresses(vec![alice_addr]).await.unwrap();
    converge(&[&alice.node, &bob.node], &ns, 1).await;
    eventually("Bob to connect", || nb.peers().iter().any(|p| p.connected && p.member.is_some())).await;

    nb.pause().await.unwrap();
    assert!(nb.is_paused());
    eventually("Bob to disconnect", || nb.peers().iter().all(|p| !p.connected)).await;
    assert!(matches!(nb.sync_now(Duration::from_secs(1)).await, Err(partage_net::NetError::Paused)));
    alice.node.add_item(&ns, draft("Raclette")).unwrap();

    nb.resume().await.unwrap();
    // Resuming redials the peers added through the discovery bridge.
    converge(&[&alice.node, &bob.node], &ns, 2).await;
    let report = nb.sync_now(WAIT).await.unwrap();
    assert!(report.complete(), "{report:?}");
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_two_nodes_converge_over_quic() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0], &nodes[1]);
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    bob.node.add_item(&ns, draft("Tente")).unwrap();
    let quic = || partage_net::NetConfig {
        listen: vec!["/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap()],
        ..config()
    };
    let na = partage_net::Network::start(alice.node.clone(), quic()).await.unwrap();
    let nb = partage_net::Network::start(bob.node.clone(), quic()).await.unwrap();
    let alice_addr = addr(&na).await;
    assert!(alice_addr.to_string().contains("/quic-v1/"), "{alice_addr}");
    nb.dial(alice_addr).await.unwrap();
    converge(&[&alice.node, &bob.node], &ns, 2).await;
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}
