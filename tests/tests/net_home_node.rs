//! A home node relays for members only (ADR 0019), over 127.0.0.1: a member that verified the
//! home node keeps a reservation on it; another member reaches it through the relay and proves
//! membership in a session over the circuit; a stranger gets no reservation and no circuit.

mod net_common;

use libp2p::multiaddr::Protocol;
use net_common::stranger::{stranger_asks_for_a_dial_back, stranger_offering_dial_backs, stranger_tries};
use net_common::*;
use partage_net::{NetConfig, Network, Reachability};
use partage_tests::{TestNode, draft, neighbourhood};

async fn start_with(t: &TestNode, config: NetConfig) -> Network {
    Network::start(t.node.clone(), config).await.expect("start the network")
}

/// Waits until `net` listens through a home node (its reservation there was accepted).
async fn holds_a_reservation(net: &Network) {
    eventually("a reservation on the home node", || {
        net.listen_addresses().iter().any(|a| a.iter().any(|p| p == Protocol::P2pCircuit))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_members_reach_each_other_through_a_home_node_and_strangers_cannot() {
    let (nodes, ns) = neighbourhood(&["Hugo", "Alice", "Bob"]);
    let (hugo, alice, bob) = (&nodes[0], &nodes[1], &nodes[2]);
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let home = start_with(hugo, NetConfig { home_node: true, ..config() }).await;
    let na = start(alice).await;
    connect(&na, &home).await;
    holds_a_reservation(&na).await;

    // Bob, a member verified by the home node, reaches Alice through it.
    let nb = start(bob).await;
    connect(&nb, &home).await;
    eventually("the home node to verify Bob", || {
        home.peers().iter().any(|p| p.peer_id == nb.peer_id() && p.member.is_some())
    })
    .await;
    // Nobody tells Bob where Alice is: the home node names them to each other.
    eventually("Bob to verify Alice over the relay", || {
        nb.peers().iter().any(|p| {
            p.peer_id == na.peer_id() && p.member == Some(member(&alice.node)) && (p.relayed || p.upgraded)
        })
    })
    .await;
    assert!(
        nb.peers().iter().any(|p| p.peer_id == home.peer_id() && p.home_node),
        "Hugo shows as a home node"
    );
    // Edits flow live between them.
    alice.node.add_item(&ns, draft("Scie sauteuse")).unwrap();
    eventually("Alice's new item at Bob", || titles(&bob.node).iter().any(|t| t == "Scie sauteuse")).await;

    // A stranger with a relay client: no reservation, and no circuit to Alice.
    let refused = stranger_tries(addr(&home).await, na.peer_id()).await;
    assert_eq!(refused, (true, true), "(reservation refused, circuit refused) for a stranger");

    for n in [na, nb, home] {
        n.stop().await.unwrap();
    }
}

fn member(n: &partage::Node) -> partage::MemberId {
    n.identity().unwrap().unwrap().member
}

/// The home node as a store-and-forward peer: Bob's phone is never online together with
/// Alice's, yet sees her new items through the home node's replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_member_never_online_with_the_lender_gets_her_items_through_the_home_node() {
    let (nodes, ns) = neighbourhood(&["Hugo", "Alice", "Bob"]);
    let (hugo, alice, bob) = (&nodes[0], &nodes[1], &nodes[2]);
    let home = start_with(hugo, NetConfig { home_node: true, ..config() }).await;
    let na = start(alice).await;
    connect(&na, &home).await;
    alice.node.add_item(&ns, draft("Tente 4 places")).unwrap();
    eventually("Alice's item at the home node", || titles(&hugo.node).iter().any(|t| t == "Tente 4 places"))
        .await;
    na.stop().await.unwrap();

    let nb = start(bob).await;
    connect(&nb, &home).await;
    eventually("Alice's item at Bob", || titles(&bob.node).iter().any(|t| t == "Tente 4 places")).await;
    assert!(nb.peers().iter().all(|p| p.member != Some(member(&alice.node))), "Bob met Alice herself");
    for n in [nb, home] {
        n.stop().await.unwrap();
    }
}

/// Invites carry the home node: Alice, who synced with it, invites Dana; Dana's ticket holds the
/// home node's address, and with Alice offline, Dana reaches the home node from the ticket alone
/// and gets Alice's items from its replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_an_invite_carries_the_home_node_and_the_joiner_reaches_it() {
    let (nodes, ns) = neighbourhood(&["Hugo", "Alice"]);
    let (hugo, alice) = (&nodes[0], &nodes[1]);
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    let home = start_with(hugo, NetConfig { home_node: true, ..config() }).await;
    let na = start(alice).await;
    connect(&na, &home).await;
    let home_id = home.peer_id().to_string();
    eventually("Alice keeps the home node's address", || {
        alice.node.home_node_addresses(&ns).unwrap().iter().any(|a| a.ends_with(&home_id))
    })
    .await;
    eventually("the home node holds Alice's item", || titles(&hugo.node).iter().any(|t| t == "Perceuse"))
        .await;
    let other = alice.node.create_neighbourhood("Rue des Roses").unwrap().id;
    assert!(
        alice.node.home_node_addresses(&other).unwrap().is_empty(),
        "a home node of another neighbourhood"
    );
    let ticket = alice.node.invite(&ns, 7, 1, vec![]).unwrap();
    na.stop().await.unwrap();

    let dana = partage_tests::TestNode::new("Dana");
    dana.node.join(&ticket).unwrap();
    let nd = start(&dana).await;
    eventually("Alice's item at Dana, through the home node", || {
        titles(&dana.node).iter().any(|t| t == "Perceuse")
    })
    .await;
    for n in [nd, home] {
        n.stop().await.unwrap();
    }
}

/// Several home nodes work together, and losing one loses nothing: Alice and Bob each know two;
/// one goes away, and Alice's new item still reaches Bob (through the other's replica or relay),
/// and the remaining one holds everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_losing_one_of_two_home_nodes_loses_nothing() {
    let (nodes, ns) = neighbourhood(&["Hugo", "Inès", "Alice", "Bob"]);
    let (hugo, ines, alice, bob) = (&nodes[0], &nodes[1], &nodes[2], &nodes[3]);
    let h1 = start_with(hugo, NetConfig { home_node: true, ..config() }).await;
    let h2 = start_with(ines, NetConfig { home_node: true, ..config() }).await;
    let (na, nb) = (start(alice).await, start(bob).await);
    for member in [&na, &nb] {
        connect(member, &h1).await;
        connect(member, &h2).await;
    }
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    eventually("the item everywhere", || {
        [&hugo.node, &ines.node, &bob.node].iter().all(|n| titles(n).iter().any(|t| t == "Perceuse"))
    })
    .await;

    h1.stop().await.unwrap();
    alice.node.add_item(&ns, draft("Escabeau")).unwrap();
    eventually("Alice's new item at Bob and at the remaining home node", || {
        [&ines.node, &bob.node].iter().all(|n| titles(n).iter().any(|t| t == "Escabeau"))
    })
    .await;
    for n in [na, nb, h2] {
        n.stop().await.unwrap();
    }
}

/// Members learn the home node from each other: Bob never dialed it, Alice did; when Bob meets
/// Alice, she names it, Bob reaches it, and from then on Bob's own invites carry it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_member_learns_the_home_node_from_another_member() {
    let (nodes, ns) = neighbourhood(&["Hugo", "Alice", "Bob"]);
    let (hugo, alice, bob) = (&nodes[0], &nodes[1], &nodes[2]);
    let home = start_with(hugo, NetConfig { home_node: true, ..config() }).await;
    let na = start(alice).await;
    connect(&na, &home).await;
    let home_id = home.peer_id().to_string();
    eventually("Alice keeps the home node", || {
        alice.node.home_node_addresses(&ns).unwrap().iter().any(|a| a.ends_with(&home_id))
    })
    .await;

    let nb = start(bob).await;
    connect(&nb, &na).await;
    eventually("Bob verified the home node he was told about", || {
        nb.peers().iter().any(|p| p.peer_id == home.peer_id() && p.member.is_some() && p.home_node)
    })
    .await;
    eventually("Bob keeps it for his invites", || {
        bob.node.home_node_addresses(&ns).unwrap().iter().any(|a| a.ends_with(&home_id))
    })
    .await;
    for n in [na, nb, home] {
        n.stop().await.unwrap();
    }
}

/// AutoNAT through a home node (issue 13): a member learns it is reachable because the home node
/// dialed it back; a stranger that asks the same is never dialed; a device that knows no home
/// node sends a stranger offering dial-backs nothing and believes it in nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_home_node_tells_members_they_are_reachable_and_ignores_strangers() {
    let (nodes, _ns) = neighbourhood(&["Hugo", "Alice"]);
    let (hugo, alice) = (&nodes[0], &nodes[1]);
    // Bob, in a neighbourhood of his own, knows no home node.
    let (others, _) = neighbourhood(&["Bob"]);
    let home = start_with(hugo, NetConfig { home_node: true, ..config() }).await;
    let na = start(alice).await;
    let nb = start(&others[0]).await;
    assert_eq!(na.reachability(), Reachability::Unknown);
    connect(&na, &home).await;
    // Alice listens on 127.0.0.1, which the home node can dial: reachable, there.
    eventually("the home node to test Alice's address", || na.reachability() != Reachability::Unknown).await;
    let Reachability::Reachable { addresses } = na.reachability() else {
        panic!("Alice on 127.0.0.1 should be reachable: {:?}", na.reachability());
    };
    let listening = na.listen_addresses();
    assert!(
        addresses.iter().all(|a| listening.iter().any(|l| l.iter().take(4).eq(a.iter().take(4)))),
        "the reached addresses {addresses:?} are ones Alice listens on ({listening:?})"
    );

    // Bob dials a stranger that offers dial-backs: it is sent nothing and believed in nothing.
    let listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    let (eve, requests) = stranger_offering_dial_backs(listen).await;
    nb.dial(eve).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 0, "Bob asked a stranger to test him");
    assert_eq!(nb.reachability(), Reachability::Unknown, "a stranger's word counted");

    // A stranger with libp2p's AutoNAT client asks the home node again and again: never dialed.
    let listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    let dialed =
        stranger_asks_for_a_dial_back(addr(&home).await, listen, std::time::Duration::from_secs(6)).await;
    assert!(!dialed, "the home node dialed a stranger back");
    assert_eq!(home.reachability(), Reachability::Unknown, "no other home node tested the home node");

    for n in [na, nb, home] {
        n.stop().await.unwrap();
    }
}
