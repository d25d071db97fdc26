//! Sync over real libp2p on 127.0.0.1: full sync to a fresh node, one-edit propagation, idle
//! reconnect, and convergence of many nodes after partitioned edits.

use crate::stats::{Res, Spread, ms, quantile};
use partage::{Event, ItemFilter, ItemPatch, NeighbourhoodId, Node};
use partage_net::{Multiaddr, NetConfig, Network, SyncReport};
use partage_tests::{TestNode, draft, neighbourhood, push};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// Protocol messages each way in a sync.
fn messages(report: &SyncReport) -> (usize, usize) {
    report
        .peers
        .iter()
        .filter_map(|p| p.outcome.as_ref())
        .fold((0, 0), |(r, s), o| (r + o.messages_received, s + o.messages_sent))
}

/// Bytes a sync moved, as the protocol counted them (payload, without Noise/Yamux framing).
fn bytes(report: &SyncReport) -> (u64, u64) {
    report
        .peers
        .iter()
        .filter_map(|p| p.outcome.as_ref())
        .fold((0, 0), |(r, s), o| (r + o.bytes_received, s + o.bytes_sent))
}

async fn start(node: &Node, peers: Vec<Multiaddr>) -> Res<Network> {
    let config = NetConfig { peers, ..NetConfig::loopback() };
    Ok(Network::start(node.clone(), config).await?)
}

async fn address(net: &Network) -> Res<Multiaddr> {
    let ad = net.advertise(Duration::from_secs(10)).await?;
    Ok(ad.addrs.into_iter().next().ok_or("the network has no listen address")?)
}

pub struct FullSync {
    pub time_ms: Spread,
    pub received: u64,
    pub sent: u64,
    pub messages: (usize, usize),
    pub items: usize,
}

pub struct Live {
    pub edit_p50_ms: f64,
    pub edit_p99_ms: f64,
    pub edits: usize,
    pub reconnect_ms: f64,
    pub reconnect_received: u64,
    pub reconnect_sent: u64,
}

/// Full sync of everything `hub` holds to a fresh member, `runs` times; then, on the last
/// pair, `edits` single edits and one idle reconnect.
pub async fn sync_figures(
    hub: &TestNode,
    ns: &NeighbourhoodId,
    runs: usize,
    edits: usize,
) -> Res<(FullSync, Live)> {
    let expected = hub.node.list_items(&ItemFilter::default())?.len();
    let hub_net = start(&hub.node, vec![]).await?;
    let hub_addr = address(&hub_net).await?;
    let mut times = Vec::new();
    let (mut received, mut sent) = (0, 0);
    let mut msgs = (0, 0);
    let mut last = None;
    for run in 0..runs.max(1) {
        let fresh = TestNode::new(&format!("Nouveau {run}"));
        let ticket = hub.node.invite(ns, 1, 1, vec![])?;
        fresh.node.join(&ticket)?;
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
            let old_net: Network = old_net;
            old_net.stop().await?;
        }
    }
    let (net, fresh) = last.ok_or("no sync run")?;
    let full = FullSync { time_ms: Spread::of(&times), received, sent, messages: msgs, items: expected };
    let live = live_figures(hub, &hub_addr, net, &fresh, edits).await?;
    hub_net.stop().await?;
    Ok((full, live))
}

async fn live_figures(
    hub: &TestNode,
    hub_addr: &Multiaddr,
    net: Network,
    fresh: &TestNode,
    edits: usize,
) -> Res<Live> {
    let me = hub.node.identity()?.ok_or("the hub has no identity")?.member;
    let own = hub
        .node
        .list_items(&ItemFilter { owner: Some(me), ..ItemFilter::default() })?
        .into_iter()
        .next()
        .ok_or("the hub owns no item")?
        .item
        .id;
    let mut events = fresh.node.subscribe();
    let mut latencies = Vec::with_capacity(edits);
    for k in 0..edits {
        let title = format!("Perceuse édition {k}");
        let patch = ItemPatch { title: Some(title.clone()), ..ItemPatch::default() };
        let started = Instant::now();
        hub.node.edit_item(&own, &patch)?;
        let arrived = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(e) = events.recv().await {
                if matches!(&e, Event::ItemUpdated(v) if v.item.id == own && v.item.title == title) {
                    return true;
                }
            }
            false
        })
        .await;
        if !matches!(arrived, Ok(true)) {
            return Err(format!("edit {k} did not reach the other node").into());
        }
        latencies.push(started.elapsed());
    }
    latencies.sort_unstable();
    net.stop().await?;
    let started = Instant::now();
    let again = start(&fresh.node, vec![hub_addr.clone()]).await?;
    let report = again.sync_now(SYNC_TIMEOUT).await?;
    let reconnect = started.elapsed();
    let (r, s) = bytes(&report);
    again.stop().await?;
    Ok(Live {
        edit_p50_ms: ms(quantile(&latencies, 0.5)),
        edit_p99_ms: ms(quantile(&latencies, 0.99)),
        edits,
        reconnect_ms: ms(reconnect),
        reconnect_received: r,
        reconnect_sent: s,
    })
}

/// `count` members share a small inventory, go offline, each makes `edits` edits, then come
/// back (all dialing the first) and sync until every node holds the same documents.
pub async fn convergence(count: usize, edits: usize) -> Res<(f64, usize)> {
    let names: Vec<String> = (1..=count).map(|i| format!("Membre {i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (nodes, ns) = neighbourhood(&refs);
    let (first, others) = nodes.split_first().ok_or("no members")?;
    let mut own = Vec::new();
    for n in &nodes {
        own.push(n.node.add_item(&ns, draft("Tente"))?.item.id);
    }
    for n in others {
        push(&n.node, &first.node, &ns);
    }
    for n in others {
        push(&first.node, &n.node, &ns);
    }
    for (n, id) in nodes.iter().zip(&own) {
        for k in 0..edits {
            let patch =
                ItemPatch { description: Some(format!("édition hors ligne {k}")), ..ItemPatch::default() };
            n.node.edit_item(id, &patch)?;
        }
    }
    let started = Instant::now();
    let hub = start(&first.node, vec![]).await?;
    let addr = address(&hub).await?;
    let mut nets = vec![hub];
    for n in others {
        nets.push(start(&n.node, vec![addr.clone()]).await?);
    }
    let deadline = Instant::now() + SYNC_TIMEOUT;
    loop {
        let reference = first.node.doc_summaries(&ns)?;
        let mut same = reference.len() == count;
        for n in others {
            same = same && n.node.doc_summaries(&ns)? == reference;
        }
        if same {
            break;
        }
        if Instant::now() >= deadline {
            return Err(
                format!("nodes did not converge in time: {}", differences(first, others, &ns)?).into()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = ms(started.elapsed());
    for net in nets {
        net.stop().await?;
    }
    Ok((elapsed, count * edits))
}

/// Which documents differ from the first node's, node by node (for the error message).
fn differences(first: &TestNode, others: &[TestNode], ns: &NeighbourhoodId) -> Res<String> {
    let reference = first.node.doc_summaries(ns)?;
    let mut out = Vec::new();
    for (i, n) in others.iter().enumerate() {
        let mine = n.node.doc_summaries(ns)?;
        for d in &reference {
            if !mine.contains(d) {
                let standing = !n.node.is_revoked(ns, &d.owner)?;
                out.push(format!("node {} lacks {} (standing there: {standing})", i + 1, d.owner.short()));
            }
        }
        for d in &mine {
            if !reference.contains(d) {
                let standing = !first.node.is_revoked(ns, &d.owner)?;
                out.push(format!(
                    "node {} has {} unlike the first (standing at the first: {standing})",
                    i + 1,
                    d.owner.short()
                ));
            }
        }
    }
    Ok(out.join("; "))
}

impl FullSync {
    pub fn json(&self) -> Value {
        json!({
            "items": self.items,
            "time_ms": self.time_ms.json(),
            "bytes_received_by_fresh_node": self.received,
            "bytes_sent_by_fresh_node": self.sent,
            "messages_received_by_fresh_node": self.messages.0,
            "messages_sent_by_fresh_node": self.messages.1,
        })
    }
}

impl Live {
    pub fn json(&self) -> Value {
        json!({
            "edits": self.edits,
            "edit_latency_p50_ms": self.edit_p50_ms,
            "edit_latency_p99_ms": self.edit_p99_ms,
            "idle_reconnect_ms": self.reconnect_ms,
            "idle_reconnect_bytes_received": self.reconnect_received,
            "idle_reconnect_bytes_sent": self.reconnect_sent,
        })
    }
}
