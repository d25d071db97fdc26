//! Sync of one member's whole inventory (one document) over libp2p on 127.0.0.1 with every byte
//! counted on the wire by a relay (what was `net/benches/sync.rs`): full sync to a fresh member,
//! single edits while connected, and an idle reconnect. Wire bytes include Noise, Yamux,
//! multistream-select, identify and ping; protocol bytes are the sync frames as the session
//! counted them.

use crate::inventory::Solo;
use crate::net::{SYNC_TIMEOUT, address, fresh_member, start_with};
use crate::relay::{self, Counter};
use crate::reopen::own_item;
use crate::stats::{Res, Spread, ms, quantile};
use partage::{ItemFilter, Node};
use partage_net::{Multiaddr, NetConfig, Network};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Bytes each way: (to the serving node, from it).
type Wire = (u64, u64);

pub struct WireFigures {
    pub items: usize,
    pub full_sync_ms: Spread,
    pub full_sync_wire: Wire,
    /// (received, sent) by the fresh member, as the protocol counted them.
    pub full_sync_protocol: (u64, u64),
    pub edits: usize,
    pub edit_p50_ms: f64,
    pub edit_p99_ms: f64,
    pub edit_max_ms: f64,
    pub wire_per_edit: (f64, f64),
    pub reconnect_ms: f64,
    pub reconnect_wire: Wire,
    pub reconnect_protocol: (u64, u64),
}

/// The TCP socket of a `/ip4/A/tcp/P/...` address.
fn socket_of(addr: &Multiaddr) -> Res<SocketAddr> {
    let text = addr.to_string();
    let parts: Vec<&str> = text.split('/').collect();
    match parts.as_slice() {
        ["", "ip4", ip, "tcp", port, ..] => Ok(format!("{ip}:{port}").parse()?),
        _ => Err(format!("not a TCP/IPv4 address: {text}").into()),
    }
}

/// Only the given peers (the relay): remembered direct addresses would bypass the counter.
async fn start(node: &Node, peers: Vec<Multiaddr>) -> Res<Network> {
    start_with(node, NetConfig { peers, dial_remembered: false, ..NetConfig::loopback() }).await
}

/// Waits for the last acknowledgements before reading the counter.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

pub async fn measure(alice: &Solo, runs: usize, edits: usize) -> Res<WireFigures> {
    let (a, ns) = (&alice.node.node, &alice.ns);
    let items = a.list_items(&ItemFilter::default())?.len();
    let na = start(a, Vec::new()).await?;
    let (relay_addr, counter) = relay::start(socket_of(&address(&na).await?)?).await?;
    let via_relay: Multiaddr =
        format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", relay_addr.port(), na.peer_id()).parse()?;
    let (mut times, mut wire, mut protocol) = (Vec::new(), (0, 0), (0, 0));
    let mut last = None;
    for run in 0..runs.max(1) {
        let bob = fresh_member(a, ns, &format!("Bob {run}"))?;
        let before = counter.read();
        let started = Instant::now();
        let nb = start(&bob.node, vec![via_relay.clone()]).await?;
        let report = nb.sync_now(SYNC_TIMEOUT).await?;
        times.push(ms(started.elapsed()));
        wire = counter.since(before);
        protocol = crate::net::bytes(&report);
        let got = bob.node.list_items(&ItemFilter::default())?.len();
        if got != items {
            return Err(format!("the fresh member received {got} items of {items}").into());
        }
        if let Some((old, _)) = last.replace((nb, bob)) {
            let old: Network = old;
            old.stop().await?;
        }
    }
    let (nb, bob) = last.ok_or("no sync run")?;
    let (latencies, per_edit) = edit_figures(a, &bob.node, &counter, edits).await?;
    nb.stop().await?;
    settle().await;
    let before = counter.read();
    let started = Instant::now();
    let nb = start(&bob.node, vec![via_relay]).await?;
    let report = nb.sync_now(SYNC_TIMEOUT).await?;
    let reconnect_ms = ms(started.elapsed());
    settle().await;
    let reconnect_wire = counter.since(before);
    nb.stop().await?;
    na.stop().await?;
    Ok(WireFigures {
        items,
        full_sync_ms: Spread::of(&times),
        full_sync_wire: wire,
        full_sync_protocol: protocol,
        edits,
        edit_p50_ms: quantile_ms(&latencies, 0.5),
        edit_p99_ms: quantile_ms(&latencies, 0.99),
        edit_max_ms: latencies.last().map_or(0.0, |d| ms(*d)),
        wire_per_edit: per_edit,
        reconnect_ms,
        reconnect_wire,
        reconnect_protocol: crate::net::bytes(&report),
    })
}

fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    ms(quantile(sorted, q))
}

/// `edits` single edits on `a`, each timed until `b`'s event; sorted latencies and the mean
/// wire bytes per edit each way.
async fn edit_figures(
    a: &Node,
    b: &Node,
    counter: &Counter,
    edits: usize,
) -> Res<(Vec<Duration>, (f64, f64))> {
    let own = own_item(a)?;
    let mut events = b.subscribe();
    settle().await;
    let before = counter.read();
    let mut latencies = crate::live::timed_edits(a, own, &mut events, edits).await?;
    settle().await;
    let (to, from) = counter.since(before);
    latencies.sort_unstable();
    let n = edits.max(1) as f64;
    Ok((latencies, (to as f64 / n, from as f64 / n)))
}

impl WireFigures {
    pub fn json(&self) -> Value {
        json!({
            "workload": format!("one member holding {} items in one document; a fresh member syncs through a counting TCP relay on 127.0.0.1", self.items),
            "items": self.items,
            "full_sync_ms": self.full_sync_ms.json(),
            "full_sync_wire_bytes_to_server": self.full_sync_wire.0,
            "full_sync_wire_bytes_from_server": self.full_sync_wire.1,
            "full_sync_protocol_bytes_received": self.full_sync_protocol.0,
            "full_sync_protocol_bytes_sent": self.full_sync_protocol.1,
            "edits": self.edits,
            "edit_latency_p50_ms": self.edit_p50_ms,
            "edit_latency_p99_ms": self.edit_p99_ms,
            "edit_latency_max_ms": self.edit_max_ms,
            "wire_bytes_per_edit_to_server": self.wire_per_edit.0,
            "wire_bytes_per_edit_from_server": self.wire_per_edit.1,
            "idle_reconnect_ms": self.reconnect_ms,
            "idle_reconnect_wire_bytes_to_server": self.reconnect_wire.0,
            "idle_reconnect_wire_bytes_from_server": self.reconnect_wire.1,
            "idle_reconnect_protocol_bytes_received": self.reconnect_protocol.0,
            "idle_reconnect_protocol_bytes_sent": self.reconnect_protocol.1,
        })
    }

    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("one document of {} items through a counting relay (wire)", self.items),
            format!(
                "  full sync          {}; wire {} B from the server, {} B to it; protocol {} B received",
                self.full_sync_ms.show("ms"),
                self.full_sync_wire.1,
                self.full_sync_wire.0,
                self.full_sync_protocol.0
            ),
            format!(
                "  one edit           p50 {:.2} ms, p99 {:.2} ms over {} edits; wire per edit {:.0} B from the editor, {:.0} B back",
                self.edit_p50_ms, self.edit_p99_ms, self.edits, self.wire_per_edit.1, self.wire_per_edit.0
            ),
            format!(
                "  idle reconnect     {:.1} ms; wire {} B to the server, {} B from it; protocol {} B received, {} B sent",
                self.reconnect_ms,
                self.reconnect_wire.0,
                self.reconnect_wire.1,
                self.reconnect_protocol.0,
                self.reconnect_protocol.1
            ),
        ]
    }
}
