//! A build without the `quic` feature (the phone libraries: partage-ffi with
//! `--no-default-features`, TCP only, ADR 0022) refuses a QUIC listen address at start with
//! `NetError::NoQuic` and leaves nothing listening; its default config listens on TCP alone; a
//! QUIC address given to dial is skipped with the same error, and two members still sync over
//! TCP. Run by scripts/test.sh with `-p partage-net --no-default-features`; empty with the
//! default features.

#![cfg(not(feature = "quic"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use partage::{ErrorKind, ItemDraft, ItemFilter, Node};
use partage_net::{NetConfig, NetError, Network};
use std::net::UdpSocket;
use std::time::Duration;

/// A UDP port nobody uses now (the system's choice, let go again).
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn draft(title: &str) -> ItemDraft {
    ItemDraft { title: title.into(), ..ItemDraft::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_without_quic_refuses_quic_and_syncs_over_tcp() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alice = Node::open(dir_a.path()).unwrap();
    alice.init("Alice").unwrap();
    let bob = Node::open(dir_b.path()).unwrap();
    bob.init("Bob").unwrap();
    let ns = alice.create_neighbourhood("Rue des Lilas").unwrap().id;
    let ticket = alice.invite(&ns, 7, 1, vec![]).unwrap();
    bob.join(&ticket).unwrap();
    alice.add_item(&ns, draft("Perceuse")).unwrap();

    // A QUIC listen address: refused before anything listens.
    let port = free_udp_port();
    let quic = Network::parse_address(&format!("/ip4/127.0.0.1/udp/{port}/quic-v1")).unwrap();
    let config = NetConfig { listen: vec![quic.clone()], ..NetConfig::loopback() };
    let Err(refused) = Network::start(alice.clone(), config).await else {
        panic!("a build without QUIC started listening on QUIC");
    };
    assert!(matches!(&refused, NetError::NoQuic { addr } if *addr == quic.to_string()), "{refused:?}");
    assert_eq!(refused.kind(), ErrorKind::Network);
    let message = refused.to_string();
    assert!(message.contains("no QUIC") && message.contains("/tcp/"), "{message}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    UdpSocket::bind(("127.0.0.1", port)).expect("the refused start left something on the UDP port");

    // The default listens where the build can: TCP alone.
    assert!(NetConfig::default().listen.iter().all(|a| a.to_string().contains("/tcp/")));

    let na = Network::start(alice.clone(), NetConfig::loopback()).await.unwrap();
    let nb = Network::start(bob.clone(), NetConfig::loopback()).await.unwrap();
    let alice_addrs = na.advertise(Duration::from_secs(5)).await.unwrap().addrs;
    let tcp = alice_addrs.iter().find(|a| a.to_string().contains("/tcp/")).expect("a TCP address").clone();
    assert!(alice_addrs.iter().all(|a| !a.to_string().contains("quic")), "{alice_addrs:?}");

    // A QUIC address alone is skipped with the error; next to a TCP one, the TCP one is dialed.
    let skipped = nb.add_peer_addresses(vec![quic.clone()]).await;
    assert!(matches!(skipped, Err(NetError::NoQuic { .. })), "{skipped:?}");
    assert_eq!(nb.add_peer_addresses(vec![quic, tcp]).await.unwrap(), 1);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let titles: Vec<String> =
            bob.list_items(&ItemFilter::default()).unwrap().into_iter().map(|v| v.item.title).collect();
        if titles.iter().any(|t| t == "Perceuse") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "Bob never got Alice's item over TCP: {titles:?}");
        let _ = nb.sync_now(Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    na.stop().await.unwrap();
    nb.stop().await.unwrap();
}
