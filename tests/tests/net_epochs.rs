//! Epochs over real libp2p on 127.0.0.1: a rebased document reaches a peer that holds the old
//! epoch (which adopts it, and refuses to take the old one back), and a departure reaches the
//! neighbours, who then give the leaver nothing more.

mod net_common;

use net_common::*;
use partage::events::NetEvent;
use partage_tests::{draft, neighbourhood};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_rebased_document_replaces_the_old_epoch_on_a_peer() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    let secret = alice.add_item(&ns, draft("Tandem du grenier")).unwrap().item.id;
    let (na, nb) = (start(&nodes[0]).await, start(&nodes[1]).await);
    connect(&nb, &na).await;
    converge(&[alice, bob], &ns, 2).await;
    nb.stop().await.unwrap();

    // Offline from Bob, Alice removes the tandem and rebases; Bob still holds the old epoch.
    alice.remove_item(&secret).unwrap();
    alice.forget_history(&ns).unwrap();
    alice.add_item(&ns, draft("Échelle")).unwrap();
    let nb = start(&nodes[1]).await;
    connect(&nb, &na).await;
    eventually("Bob adopts the new epoch", || titles(bob) == ["Perceuse", "Échelle"]).await;
    let report = nb.sync_now(WAIT).await.unwrap();
    assert!(report.complete(), "{report:?}");
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_departure_reaches_the_neighbours_who_then_refuse_the_leaver() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    bob.add_item(&ns, draft("Scie de Bob")).unwrap();
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    let (na, nb, nc) = (start(&nodes[0]).await, start(&nodes[1]).await, start(&nodes[2]).await);
    connect(&nb, &na).await;
    connect(&nc, &na).await;
    converge(&[alice, bob, chloe], &ns, 2).await;

    let mut events = alice.subscribe();
    bob.erase(&ns).unwrap();
    // Pushed live to Alice, who hands it on to Chloé.
    eventually("Alice drops Bob's items", || titles(alice) == ["Perceuse"]).await;
    eventually("Chloé drops Bob's items", || titles(chloe) == ["Perceuse"]).await;
    // Bob's next session is refused: he gets nothing more.
    nb.stop().await.unwrap();
    let nb = start(&nodes[1]).await;
    connect(&nb, &na).await;
    next_net_event(&mut events, "Bob refused", |e| matches!(e, NetEvent::PeerRefused { .. })).await;
    alice.add_item(&ns, draft("Échelle")).unwrap();
    let _ = nb.sync_now(std::time::Duration::from_secs(5)).await;
    assert!(titles(bob).is_empty(), "the leaver got nothing new");
    for n in [na, nb, nc] {
        n.stop().await.unwrap();
    }
}
