//! Helpers for the network scenarios: nodes on 127.0.0.1 (TCP, no mDNS), waiting with generous
//! timeouts (never asserting on wall-clock time), comparing inventories.
#![allow(dead_code)]

pub mod stranger;

use partage::events::NetEvent;
use partage::{Event, ItemFilter, ItemView, NeighbourhoodId, Node, Subscription};
use partage_net::{Multiaddr, NetConfig, Network};
use partage_tests::TestNode;
use std::time::Duration;

/// Upper bound for any wait (the machine is shared; this is a timeout, not a measurement).
pub const WAIT: Duration = Duration::from_secs(90);

/// Loopback TCP, no mDNS, quick redials.
pub fn config() -> NetConfig {
    NetConfig { redial_interval: Duration::from_secs(1), ..NetConfig::loopback() }
}

pub async fn start(t: &TestNode) -> Network {
    start_node(&t.node).await
}

pub async fn start_node(node: &Node) -> Network {
    Network::start(node.clone(), config()).await.expect("start the network")
}

/// The first listen address of `net` (with its peer id).
pub async fn addr(net: &Network) -> Multiaddr {
    let ad = net.advertise(WAIT).await.expect("advertise");
    ad.addrs.into_iter().next().expect("a listen address")
}

pub async fn connect(from: &Network, to: &Network) {
    from.dial(addr(to).await).await.expect("dial");
}

/// Every item a node shows, in its listing order.
pub fn inventory(n: &Node) -> Vec<ItemView> {
    n.list_items(&ItemFilter::default()).expect("list items")
}

pub fn titles(n: &Node) -> Vec<String> {
    let mut t: Vec<String> = inventory(n).into_iter().map(|v| v.item.title).collect();
    t.sort();
    t
}

/// Polls `check` until it holds, failing the test after [`WAIT`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if check() {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every node shows the same inventory and members as the first, with `items`
/// items.
pub async fn converge(nodes: &[&Node], ns: &NeighbourhoodId, items: usize) {
    let agreed = || {
        let reference = inventory(nodes[0]);
        let members = nodes[0].members(ns).map(|m| m.len()).unwrap_or(0);
        reference.len() == items
            && nodes
                .iter()
                .all(|n| inventory(n) == reference && n.members(ns).map(|m| m.len()).unwrap_or(0) == members)
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while !agreed() {
        if tokio::time::Instant::now() >= deadline {
            let state: Vec<String> = nodes
                .iter()
                .map(|n| {
                    let members = n.members(ns).map(|m| m.len()).unwrap_or(0);
                    format!("{} items/{members} members", inventory(n).len())
                })
                .collect();
            let reference = inventory(nodes[0]);
            let diff: Vec<String> = nodes
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    let mine = inventory(n);
                    let odd = mine.iter().find(|v| !reference.contains(v))?;
                    Some(format!("node {i}: {odd:?}"))
                })
                .take(3)
                .collect();
            panic!(
                "timed out waiting for {} nodes to converge on {items} items: {state:?}; differences: {diff:#?}",
                nodes.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for a network event matching `pred`, returning it.
pub async fn next_net_event(
    events: &mut Subscription,
    what: &str,
    pred: impl Fn(&NetEvent) -> bool,
) -> NetEvent {
    let wait = async {
        loop {
            match events.recv().await {
                Some(Event::Network(e)) if pred(&e) => return e,
                Some(_) => {}
                None => panic!("the node went away while waiting for {what}"),
            }
        }
    };
    tokio::time::timeout(WAIT, wait).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}
pub mod raw;
