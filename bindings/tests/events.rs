//! Event delivery from Rust: snapshot first, order, overflow followed by a fresh snapshot,
//! a failing listener, and cancellation by `cancel()` or drop.

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

use partage_ffi::events::{EventListener, ListenerError, NodeEvent};
use partage_ffi::types::ItemDraft;
use partage_ffi::{Node, Subscription};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// Forwards events to a channel; optionally waits for a go-ahead before returning from the first.
struct Forward {
    tx: SyncSender<NodeEvent>,
    hold_first: Mutex<Option<Receiver<()>>>,
    fail: bool,
}

impl EventListener for Forward {
    fn on_event(&self, event: NodeEvent) -> Result<(), ListenerError> {
        let _ = self.tx.send(event);
        if let Some(go) = self.hold_first.lock().unwrap().take() {
            let _ = go.recv();
        }
        if self.fail { Err(ListenerError::Failed { reason: "boom".into() }) } else { Ok(()) }
    }
}

fn listen(
    node: &Node,
    hold: bool,
    fail: bool,
) -> (Arc<Subscription>, Receiver<NodeEvent>, Option<SyncSender<()>>) {
    let (tx, rx) = sync_channel(10_000);
    let (go_tx, go_rx) = sync_channel(1);
    let listener = Forward { tx, hold_first: Mutex::new(hold.then_some(go_rx)), fail };
    let sub = node.subscribe(Box::new(listener)).unwrap();
    (sub, rx, hold.then_some(go_tx))
}

fn next(rx: &Receiver<NodeEvent>) -> NodeEvent {
    rx.recv_timeout(Duration::from_secs(20)).expect("an event")
}

async fn node_with_hood() -> (Arc<Node>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path().display().to_string()).await.unwrap();
    node.create_identity("Alice".into()).await.unwrap();
    let hood = node.create_neighbourhood("Rue".into()).await.unwrap().id;
    (node, hood, dir)
}

#[tokio::test]
async fn snapshot_then_changes_in_order_and_a_failing_listener_keeps_receiving() {
    let (node, hood, _dir) = node_with_hood().await;
    node.add_item(hood.clone(), draft("Échelle")).await.unwrap();
    let (sub, rx, _) = listen(&node, false, true);
    let NodeEvent::Snapshot { snapshot } = next(&rx) else { panic!("the first event is not a snapshot") };
    assert_eq!(snapshot.items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["Échelle"]);
    for title in ["A", "B", "C"] {
        node.add_item(hood.clone(), draft(title)).await.unwrap();
    }
    for title in ["A", "B", "C"] {
        let NodeEvent::ItemAdded { item } = next(&rx) else { panic!("expected ItemAdded {title}") };
        assert_eq!(item.title, title);
    }
    // The listener hands the event over before it returns its error, so the last failure is
    // counted just after the event arrives: wait for it (bounded) instead of racing it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sub.listener_errors() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(sub.listener_errors(), 4, "every delivery failed and was counted");
    assert!(sub.is_active());
}

#[tokio::test]
async fn a_listener_too_far_behind_gets_overflow_then_a_fresh_snapshot() {
    let (node, hood, _dir) = node_with_hood().await;
    let (_sub, rx, go) = listen(&node, true, false);
    assert!(matches!(next(&rx), NodeEvent::Snapshot { .. }));
    // The listener is stuck in its first callback while more than the core's buffer goes by.
    for i in 0..1_100 {
        node.add_item(hood.clone(), draft(&format!("item {i}"))).await.unwrap();
    }
    go.unwrap().send(()).unwrap();
    let missed = loop {
        match next(&rx) {
            NodeEvent::Overflow { missed } => break missed,
            NodeEvent::ItemAdded { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(missed > 0);
    let NodeEvent::Snapshot { snapshot } = next(&rx) else { panic!("no snapshot after the overflow") };
    assert_eq!(snapshot.items.len(), 1_100, "the fresh snapshot has everything");
}

#[tokio::test]
async fn cancel_and_drop_stop_delivery() {
    let (node, hood, _dir) = node_with_hood().await;
    let (sub, rx, _) = listen(&node, false, false);
    assert!(matches!(next(&rx), NodeEvent::Snapshot { .. }));
    sub.cancel();
    assert!(!sub.is_active());
    let (dropped, rx2, _) = listen(&node, false, false);
    assert!(matches!(next(&rx2), NodeEvent::Snapshot { .. }));
    drop(dropped);
    node.add_item(hood, draft("Scie")).await.unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(rx.try_recv().is_err(), "nothing after cancel");
    assert!(rx2.try_recv().is_err(), "nothing after drop");
}

#[tokio::test]
async fn a_forgotten_subscription_does_not_keep_the_directory_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let node = Node::open(path.clone()).await.unwrap();
    let (sub, rx, _) = listen(&node, false, false);
    assert!(matches!(next(&rx), NodeEvent::Snapshot { .. }));
    drop(node);
    let reopened = Node::open(path).await.expect("the store is free once the node is released");
    assert!(reopened.identity().await.unwrap().is_none());
    std::thread::sleep(Duration::from_millis(100));
    assert!(!sub.is_active(), "delivery ended with the node");
}
