//! The FFI surface over the network, from Rust: two nodes on 127.0.0.1 (mDNS off).

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

use partage_ffi::Node;
use partage_ffi::network::NetworkConfig;
use partage_ffi::types::{ItemDraft, ItemFilter, ItemPatch};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn loopback() -> NetworkConfig {
    NetworkConfig { listen_addresses: vec!["/ip4/127.0.0.1/tcp/0".into()], ..NetworkConfig::default() }
}

fn draft(title: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        description: String::new(),
        category: None,
        tags: vec![],
        condition: None,
        photos: vec![],
        deposit_cents: None,
        max_loan_days: None,
    }
}

async fn titles(node: &Node) -> Vec<String> {
    node.list_items(ItemFilter::default()).await.unwrap().into_iter().map(|i| i.title).collect()
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn open() -> (Arc<Node>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path().display().to_string()).await.unwrap();
    (node, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_by_ticket_sync_pause_resume() {
    let (alice, _a) = open().await;
    let (bob, _b) = open().await;
    alice.init("Alice".into()).await.unwrap();
    bob.init("Bob".into()).await.unwrap();
    let hood = alice.create_neighbourhood("Rue".into()).await.unwrap().id;
    alice.start_network(loopback()).await.unwrap();
    let ad = alice.advertisement(5_000).await.unwrap();
    assert!(!ad.addresses.is_empty());
    bob.join(alice.invite(hood.clone(), 7, 1, ad.addresses).await.unwrap()).await.unwrap();
    let drill = alice.add_item(hood.clone(), draft("Perceuse")).await.unwrap();
    bob.start_network(loopback()).await.unwrap();
    eventually("the item on bob's side", async || titles(&bob).await == ["Perceuse"]).await;

    let patch = ItemPatch { title: Some("Perceuse à percussion".into()), ..ItemPatch::default() };
    alice.edit_item(drill.id.clone(), patch).await.unwrap();
    eventually("the edit on bob's side", async || titles(&bob).await == ["Perceuse à percussion"]).await;
    eventually("bob on alice's side", async || alice.members(hood.clone()).await.unwrap().len() == 2).await;

    bob.pause_network().await.unwrap();
    eventually("bob disconnected", async || bob.peers().unwrap().iter().all(|p| !p.connected)).await;
    alice.add_item(hood.clone(), draft("Scie")).await.unwrap();
    bob.resume_network().await.unwrap();
    eventually("the new item after resuming", async || titles(&bob).await.len() == 2).await;
    assert!(bob.sync_now(10_000).await.unwrap().complete);
    alice.shutdown().await.unwrap();
    bob.shutdown().await.unwrap();
}
