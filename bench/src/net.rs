//! Sync over real libp2p on 127.0.0.1 (TCP, no mDNS): starting networks, and the full sync of
//! everything a node holds to a fresh member.

use crate::stats::{Res, Spread, ms};
use partage::{ItemFilter, NeighbourhoodId, Node};
use partage_net::{Multiaddr, NetConfig, Network, SyncReport};
use partage_tests::TestNode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// Protocol messages each way in a sync.
pub fn messages(report: &SyncReport) -> (usize, usize) {
    report
        .peers
        .iter()
        .filter_map(|p| p.outcome.as_ref())
        .fold((0, 0), |(r, s), o| (r + o.messages_received, s + o.messages_sent))
}

/// Bytes a sync moved, as the protocol counted them (payload, without Noise/Yamux framing).
pub fn bytes(report: &SyncReport) -> (u64, u64) {
    report
        .peers
        .iter()
        .filter_map(|p| p.outcome.as_ref())
        .fold((0, 0), |(r, s), o| (r + o.bytes_received, s + o.bytes_sent))
}

/// A network on 127.0.0.1 only (no mDNS) dialing `peers`.
pub async fn start(node: &Node, peers: Vec<Multiaddr>) -> Res<Network> {
    start_with(node, NetConfig { peers, ..NetConfig::loopback() }).await
}

pub async fn start_with(node: &Node, config: NetConfig) -> Res<Network> {
    if config.mdns {
        return Err("the harness never enables mDNS".into());
    }
    Ok(Network::start(node.clone(), config).await?)
}

pub async fn address(net: &Network) -> Res<Multiaddr> {
    let ad = net.advertise(Duration::from_secs(10)).await?;
    Ok(ad.addrs.into_iter().next().ok_or("the network has no listen address")?)
}

/// A member who joined `ns` by a ticket of `from`, with nothing synced yet.
pub fn fresh_member(from: &Node, ns: &NeighbourhoodId, name: &str) -> Res<TestNode> {
    let fresh = TestNode::new(name);
    let ticket = from.invite(ns, 1, 1, vec![])?;
    fresh.node.join(&ticket)?;
    Ok(fresh)
}

pub struct FullSync {
    pub time_ms: Spread,
    pub received: u64,
    pub sent: u64,
    pub messages: (usize, usize),
    pub items: usize,
    pub documents: usize,
}

/// What a full sync leaves running: the serving node's network and the last fresh member,
/// still connected to it.
pub struct Synced {
    pub hub_net: Network,
    pub hub_addr: Multiaddr,
    pub fresh_net: Network,
    pub fresh: TestNode,
}

impl Synced {
    /// Stops both networks; returns the fresh member.
    pub async fn stop(self) -> Res<TestNode> {
        self.fresh_net.stop().await?;
        self.hub_net.stop().await?;
        Ok(self.fresh)
    }
}

/// Full sync of everything `hub` holds to a fresh member, `runs` times: from starting the
/// fresh member's network to the end of its sync round, every item verified, stored and listed.
pub async fn full_sync(hub: &Node, ns: &NeighbourhoodId, runs: usize) -> Res<(FullSync, Synced)> {
    let expected = hub.list_items(&ItemFilter::default())?.len();
    let documents = hub.doc_summaries(ns)?.len();
    let hub_net = start(hub, vec![]).await?;
    let hub_addr = address(&hub_net).await?;
    let mut times = Vec::new();
    let (mut received, mut sent) = (0, 0);
    let mut msgs = (0, 0);
    let mut last: Option<(Network, TestNode)> = None;
    for run in 0..runs.max(1) {
        let fresh = fresh_member(hub, ns, &format!("Nouveau {run}"))?;
        // A phone meets these signatures for the first time: nothing verified by the hub or an
        // earlier run in this process counts (ADR 0021).
        partage::identity::forget_verified_signatures();
        let started = Instant::now();
        let net = start(&fresh.node, vec![hub_addr.clone()]).await?;
        let report = net.sync_now(SYNC_TIMEOUT).await?;
        let elapsed = started.elapsed();
        let got = fresh.node.list_items(&ItemFilter::default())?.len();
        if got != expected {
            return Err(format!("the fresh node received {got} items of {expected}").into());
        }
        times.push(ms(elapsed));
        (received, sent) = bytes(&report);
        msgs = messages(&report);
        if let Some((old_net, _old)) = last.replace((net, fresh)) {
            old_net.stop().await?;
        }
    }
    let (fresh_net, fresh) = last.ok_or("no sync run")?;
    let full =
        FullSync { time_ms: Spread::of(&times), received, sent, messages: msgs, items: expected, documents };
    Ok((full, Synced { hub_net, hub_addr, fresh_net, fresh }))
}

impl FullSync {
    pub fn json(&self) -> Value {
        json!({
            "items": self.items,
            "documents": self.documents,
            "time_ms": self.time_ms.json(),
            "bytes_received_by_fresh_node": self.received,
            "bytes_sent_by_fresh_node": self.sent,
            "messages_received_by_fresh_node": self.messages.0,
            "messages_sent_by_fresh_node": self.messages.1,
        })
    }

    pub fn line(&self) -> String {
        format!(
            "{} ; {} items in {} documents; {} B received, {} B sent; {} messages in, {} out",
            self.time_ms.show("ms"),
            self.items,
            self.documents,
            self.received,
            self.sent,
            self.messages.0,
            self.messages.1
        )
    }
}
