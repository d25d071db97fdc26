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
use partage_ffi::network::{NetworkConfig, NetworkState};
use partage_ffi::time::TimeSpan;
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
    alice.create_identity("Alice".into()).await.unwrap();
    bob.create_identity("Bob".into()).await.unwrap();
    let hood = alice.create_neighbourhood("Rue".into()).await.unwrap().id;
    alice.start_network(loopback()).await.unwrap();
    let ad = alice.advertisement(TimeSpan(5_000)).await.unwrap();
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
    assert!(bob.sync_now(TimeSpan(10_000)).await.unwrap().complete);
    alice.shutdown().await.unwrap();
    bob.shutdown().await.unwrap();
}

/// A TCP port on 127.0.0.1 that never answers: a libp2p dial to it hangs until libp2p's 10 s
/// connection timeout, so a `sync_now` that dials it is a long call.
fn tarpit() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, format!("/ip4/127.0.0.1/tcp/{port}"))
}

/// Alice founds a neighbourhood; Bob joins by ticket, starts with `extra` peer addresses, and
/// verifies her.
async fn pair(extra: Vec<String>) -> (Arc<Node>, Arc<Node>, String, [tempfile::TempDir; 2]) {
    let (alice, a) = open().await;
    let (bob, b) = open().await;
    alice.create_identity("Alice".into()).await.unwrap();
    bob.create_identity("Bob".into()).await.unwrap();
    let hood = alice.create_neighbourhood("Rue".into()).await.unwrap().id;
    alice.start_network(loopback()).await.unwrap();
    let ad = alice.advertisement(TimeSpan(5_000)).await.unwrap();
    bob.join(alice.invite(hood.clone(), 7, 1, ad.addresses).await.unwrap()).await.unwrap();
    bob.start_network(NetworkConfig { peer_addresses: extra, ..loopback() }).await.unwrap();
    eventually("bob verified alice", async || {
        bob.peers().unwrap().iter().any(|p| p.connected && p.member_id.is_some())
    })
    .await;
    (alice, bob, hood, [a, b])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_sync_resumes_a_paused_network_and_pauses_it_again() {
    let (alice, bob, hood, _dirs) = pair(vec![]).await;
    bob.pause_network().await.unwrap();
    eventually("paused", async || {
        let s = bob.network_status();
        s.paused && s.connected_peers == 0
    })
    .await;
    alice.add_item(hood.clone(), draft("Scie")).await.unwrap();
    let report = bob.sync_in_background(TimeSpan(20_000), None).await.unwrap();
    assert_eq!(report.network_before, NetworkState::Paused);
    assert_eq!(report.peers_synced, 1, "{report:?}");
    assert!(report.docs_received >= 1 && !report.timed_out, "{report:?}");
    assert_eq!(titles(&bob).await, ["Scie"]);
    assert!(bob.is_network_paused());
    eventually("idle", async || {
        let s = bob.network_status();
        s.paused && s.connected_peers == 0 && s.calls_in_flight == 0 && s.background_syncs == 0
    })
    .await;

    alice.shutdown().await.unwrap();
    bob.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_sync_from_stopped_starts_and_stops_the_network() {
    let (alice, _a) = open().await;
    let (bob, _b) = open().await;
    alice.create_identity("Alice".into()).await.unwrap();
    bob.create_identity("Bob".into()).await.unwrap();
    let hood = alice.create_neighbourhood("Rue".into()).await.unwrap().id;
    alice.start_network(loopback()).await.unwrap();
    let ad = alice.advertisement(TimeSpan(5_000)).await.unwrap();
    bob.join(alice.invite(hood.clone(), 7, 1, ad.addresses).await.unwrap()).await.unwrap();
    alice.add_item(hood.clone(), draft("Perceuse")).await.unwrap();
    let report = bob.sync_in_background(TimeSpan(20_000), Some(loopback())).await.unwrap();
    assert_eq!(report.network_before, NetworkState::Stopped);
    assert_eq!(report.peers_synced, 1, "{report:?}");
    assert_eq!(titles(&bob).await, ["Perceuse"]);
    assert!(!bob.is_network_running(), "stopped again");
    alice.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_sync_now_future_aborts_its_work() {
    let (_tarpit, address) = tarpit();
    let (alice, bob, _hood, _dirs) = pair(vec![address]).await;
    let call = bob.sync_now(TimeSpan(60_000));
    // Polled for a while (it waits for the tarpit dial), then dropped: the caller cancelled.
    assert!(tokio::time::timeout(Duration::from_millis(300), call).await.is_err(), "a long call");
    eventually("no call in flight", async || bob.network_status().calls_in_flight == 0).await;

    // A background sync dropped the same way leaves the network paused as it found it.
    bob.pause_network().await.unwrap();
    let call = bob.sync_in_background(TimeSpan(60_000), None);
    assert!(tokio::time::timeout(Duration::from_millis(500), call).await.is_err(), "a long call");
    eventually("paused and idle", async || {
        let s = bob.network_status();
        s.paused && s.connected_peers == 0 && s.calls_in_flight == 0 && s.background_syncs == 0
    })
    .await;
    alice.shutdown().await.unwrap();
    bob.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_and_a_background_sync_share_the_network() {
    let (_tarpit, address) = tarpit();
    let (alice, bob, _hood, _dirs) = pair(vec![address]).await;
    let running = async |bob: &Arc<Node>| {
        eventually("a background sync holding the network", async || {
            let s = bob.network_status();
            s.background_syncs == 1 && !s.paused
        })
        .await
    };
    let idle = async |bob: &Arc<Node>| {
        eventually("no call in flight", async || {
            let s = bob.network_status();
            s.background_syncs == 0 && s.calls_in_flight == 0
        })
        .await
    };

    // The app comes to the foreground during a background sync (long: it waits for the tarpit):
    // the sync's end does not pause the network under the app.
    bob.pause_network().await.unwrap();
    let syncing = Arc::clone(&bob);
    let sync = tokio::spawn(async move { syncing.sync_in_background(TimeSpan(60_000), None).await });
    running(&bob).await;
    bob.resume_network().await.unwrap();
    sync.abort();
    idle(&bob).await;
    assert!(!bob.is_network_paused(), "the app resumed it: still running");

    // The app goes to the background during one: paused only once the sync ends.
    let syncing = Arc::clone(&bob);
    let sync = tokio::spawn(async move { syncing.sync_in_background(TimeSpan(60_000), None).await });
    running(&bob).await;
    bob.pause_network().await.unwrap();
    assert!(!bob.is_network_paused(), "still held by the background sync");
    sync.abort();
    idle(&bob).await;
    eventually("paused once the sync ended", async || bob.network_status().paused).await;
    alice.shutdown().await.unwrap();
    bob.shutdown().await.unwrap();
}

/// A member connected to a home node learns whether it can be dialed (the home node dials it
/// back); before that, and on the home node itself, it is unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_node_tells_a_member_whether_it_is_reachable() {
    use partage_ffi::network::Reachability;
    let (hugo, _h) = open().await;
    let (alice, _a) = open().await;
    hugo.create_identity("Hugo".into()).await.unwrap();
    alice.create_identity("Alice".into()).await.unwrap();
    let hood = hugo.create_neighbourhood("Rue".into()).await.unwrap().id;
    hugo.start_network(NetworkConfig { home_node: true, ..loopback() }).await.unwrap();
    let ad = hugo.advertisement(TimeSpan(5_000)).await.unwrap();
    alice.join(hugo.invite(hood, 7, 1, ad.addresses).await.unwrap()).await.unwrap();
    assert_eq!(alice.network_status().reachability, Reachability::Unknown, "not started");
    alice.start_network(loopback()).await.unwrap();
    eventually("the home node to dial Alice back", async || {
        matches!(alice.network_status().reachability, Reachability::Reachable { .. })
    })
    .await;
    let Reachability::Reachable { addresses } = alice.network_status().reachability else { unreachable!() };
    assert!(addresses.iter().all(|a| a.starts_with("/ip4/127.0.0.1/tcp/")), "{addresses:?}");
    assert_eq!(hugo.network_status().reachability, Reachability::Unknown, "no home node tests the home node");
    alice.shutdown().await.unwrap();
    hugo.shutdown().await.unwrap();
}
