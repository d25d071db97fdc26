//! Issue 13's "Must show", in network namespaces (as root): a home node on a "public" network,
//! two members each on a home LAN behind its own NAT router (iptables masquerade). The members
//! never share a LAN and cannot dial each other; they converge through the home node, edits keep
//! flowing live, and whether hole punching upgraded their connection is reported. The home node
//! tells them they are not reachable, and a member on the public network that she is. A stranger
//! on the public network gets no reservation and no circuit. Skips, saying why, without root,
//! namespaces or iptables.

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod net_common;

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;
use net_common::stranger::stranger_tries;
use net_common::{eventually, titles};
use partage_net::{ConnectionPath, NetConfig, Reachability};
use partage_tests::nat::{HOME_NODE_IP, Internet, NodeIn, in_namespace};
use partage_tests::{draft, neighbourhood};
use std::time::{Duration, Instant};

fn member_config(peers: Vec<Multiaddr>) -> NetConfig {
    NetConfig {
        listen: vec!["/ip4/0.0.0.0/tcp/0".parse().unwrap(), "/ip4/0.0.0.0/udp/0/quic-v1".parse().unwrap()],
        peers,
        redial_interval: Duration::from_secs(1),
        ..NetConfig::default()
    }
}

/// Home routers that keep a device's port (as most do): the members meet through the home node,
/// and hole punching upgrades them to a direct connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_members_behind_two_nats_converge_through_the_home_node() {
    let Some(path) = members_meet("net_members_behind_two_nats_converge_through_the_home_node", false).await
    else {
        return; // skipped, and said so
    };
    // These NATs allow it (their firewalls drop unsolicited packets, so a stray one blocks nothing).
    assert_eq!(path, Some(ConnectionPath::Upgraded), "hole punching through two port-keeping NATs");
}

/// Routers that pick a random port per connection: hole punching cannot get through, and the
/// members stay connected through the home node's relay, edits flowing both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_members_behind_symmetric_nats_stay_relayed_and_keep_syncing() {
    let Some(path) =
        members_meet("net_members_behind_symmetric_nats_stay_relayed_and_keep_syncing", true).await
    else {
        return; // skipped, and said so
    };
    assert_eq!(path, Some(ConnectionPath::Relayed), "no direct path through symmetric NATs");
}

/// The scenario of both tests; the path Bob reaches Alice by at the end (`None` when it skipped).
async fn members_meet(test: &str, symmetric: bool) -> Option<Option<ConnectionPath>> {
    let mut internet = Internet::or_skip(test)?;
    let home_ns = internet.ns("home");
    let alice_ns = internet.home_behind_nat("alice", 91, "10.90.0.2", symmetric).unwrap();
    let bob_ns = internet.home_behind_nat("bob", 92, "10.90.0.3", symmetric).unwrap();
    let stranger_ns = internet.host_on_public("eve", "10.90.0.9").unwrap();
    let carol_ns = internet.host_on_public("carol", "10.90.0.10").unwrap();

    let (nodes, ns) = neighbourhood(&["Hugo", "Alice", "Bob", "Carol"]);
    let (hugo, alice, bob, carol) = (&nodes[0], &nodes[1], &nodes[2], &nodes[3]);
    alice.node.add_item(&ns, draft("Perceuse")).unwrap();
    bob.node.add_item(&ns, draft("Raclette")).unwrap();
    let home_addr: Multiaddr = format!("/ip4/{HOME_NODE_IP}/tcp/4001").parse().unwrap();
    // Members reach it over QUIC (UDP): what hole punching through these NATs can use.
    let home_quic: Multiaddr = format!("/ip4/{HOME_NODE_IP}/udp/4001/quic-v1").parse().unwrap();
    let home = NodeIn::start(
        &home_ns,
        hugo.node.clone(),
        NetConfig {
            listen: vec![home_addr.clone(), home_quic.clone()],
            home_node: true,
            ..NetConfig::default()
        },
    );
    let started = Instant::now();
    let a = NodeIn::start(&alice_ns, alice.node.clone(), member_config(vec![home_quic.clone()]));
    let b = NodeIn::start(&bob_ns, bob.node.clone(), member_config(vec![home_quic.clone()]));

    // They meet through the home node: each verifies the other over a relayed (or upgraded)
    // connection, never a LAN.
    let alice_member = alice.node.identity().unwrap().unwrap().member;
    let path_to_alice = || {
        b.net
            .peers()
            .into_iter()
            .find(|p| p.member == Some(alice_member) && p.connected)
            .and_then(|p| p.path())
    };
    eventually("Bob connected to Alice through the home node", || {
        matches!(path_to_alice(), Some(ConnectionPath::Relayed | ConnectionPath::Upgraded))
    })
    .await;
    let met_after = started.elapsed();
    eventually("both inventories at both", || {
        titles(&alice.node).contains(&"Raclette".to_string())
            && titles(&bob.node).contains(&"Perceuse".to_string())
    })
    .await;

    // Live edits flow while they stay online.
    alice.node.add_item(&ns, draft("Scie sauteuse")).unwrap();
    eventually("Alice's new item at Bob", || titles(&bob.node).contains(&"Scie sauteuse".to_string())).await;
    bob.node.add_item(&ns, draft("Escabeau")).unwrap();
    eventually("Bob's new item at Alice", || titles(&alice.node).contains(&"Escabeau".to_string())).await;

    // Hole punching, where these NATs allow it: reported, not required.
    // (DCUtR makes 3 attempts within seconds; this only waits for its outcome.)
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && path_to_alice() != Some(ConnectionPath::Upgraded) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let path = path_to_alice();
    println!("members met through the home node after {met_after:?}; connection now {path:?}");
    for p in b.net.peers() {
        println!(
            "Bob sees {} member={} path={:?} home_node={}",
            p.peer_id,
            p.member.is_some(),
            p.path(),
            p.home_node
        );
    }

    // AutoNAT: the home node cannot dial Alice or Bob back through their routers, and says so.
    eventually("the home node to find Alice and Bob out of reach", || {
        matches!(a.net.reachability(), Reachability::NotReachable { .. })
            && matches!(b.net.reachability(), Reachability::NotReachable { .. })
    })
    .await;
    // Carol, a member on the public network itself, is reachable at her own address.
    let c = NodeIn::start(&carol_ns, carol.node.clone(), member_config(vec![home_quic.clone()]));
    eventually("the home node to reach Carol", || {
        matches!(c.net.reachability(), Reachability::Reachable { .. })
    })
    .await;
    let Reachability::Reachable { addresses } = c.net.reachability() else { unreachable!() };
    assert!(
        addresses.iter().all(|a| a.iter().next() == Some(Protocol::Ip4("10.90.0.10".parse().unwrap()))),
        "Carol is reached at her public address: {addresses:?}"
    );
    println!("reachability: Alice {:?}, Carol {addresses:?}", a.net.reachability());

    // A stranger on the public network: no reservation, no circuit to Alice.
    let home_peer = home.net.peer_id();
    let alice_peer = a.net.peer_id();
    let refused = in_namespace(&stranger_ns, move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(stranger_tries(home_addr.with(Protocol::P2p(home_peer)), alice_peer))
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(refused, (true, true), "(reservation refused, circuit refused) for a stranger");

    for n in [a, b, c, home] {
        n.stop();
    }
    Some(path)
}
