//! A build without the `mdns` feature (the phone libraries: partage-ffi with
//! `--no-default-features`) refuses `NetConfig::mdns` at start with `NetError::NoMdns`, and
//! nothing listens; with mDNS off it works as usual. Run by scripts/test.sh as
//! `cargo nextest run -p partage-net --no-default-features`; empty with the default features.

#![cfg(not(feature = "mdns"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use partage::{ErrorKind, Node};
use partage_net::{NetConfig, NetError, Network};
use std::net::TcpListener;
use std::time::Duration;

/// A port nobody listens on now (the system's choice, let go again).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mdns_is_refused_without_the_feature_and_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path()).unwrap();
    node.init("Alice").unwrap();
    let port = free_port();
    let listen = Network::parse_address(&format!("/ip4/127.0.0.1/tcp/{port}")).unwrap();

    let config = NetConfig { listen: vec![listen.clone()], ..NetConfig::lan() };
    assert!(config.mdns);
    let Err(refused) = Network::start(node.clone(), config).await else {
        panic!("a build without mDNS started with mdns: true");
    };
    assert!(matches!(refused, NetError::NoMdns), "{refused:?}");
    assert_eq!(refused.kind(), ErrorKind::Network);
    let message = refused.to_string();
    assert!(message.contains("no mDNS") && message.contains("platform's discovery"), "{message}");

    // Nothing was left listening on the port it was given.
    tokio::time::sleep(Duration::from_millis(200)).await;
    TcpListener::bind(("127.0.0.1", port)).expect("the refused start left something listening");

    // The same node and port with mDNS off: the build works without it.
    let config = NetConfig { listen: vec![listen], mdns: false, ..NetConfig::lan() };
    let network = Network::start(node, config).await.unwrap();
    let addrs = network.advertise(Duration::from_secs(5)).await.unwrap().addrs;
    assert!(addrs.iter().any(|a| a.to_string().contains(&format!("/tcp/{port}"))), "{addrs:?}");
    network.stop().await.unwrap();
}
