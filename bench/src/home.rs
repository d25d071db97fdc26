//! A home node (ADR 0019).
//!
//! - **Behind NAT** (network namespaces, as root; skipped otherwise): the home node on a public
//!   bridge, Alice and Bob each behind a router that masquerades. Alice holds `items` items and
//!   the home node has them; Bob starts with none. Measured from Bob's start: when he is connected
//!   to Alice (through the relay), when he holds all her items, then one live edit's latency from
//!   Alice to Bob (median of `edits`). Twice: routers that keep ports (hole punching upgrades the
//!   connection) and routers that randomise them (it stays relayed). Bytes through the home
//!   node's public interface during the live edits are counted too (they include the home node's
//!   own share of each edit: it is a member).
//! - **Memory**: the home node in a child process on 127.0.0.1 (this binary re-executed), serving
//!   `members` member devices that each connect, prove membership and hold a reservation;
//!   resident memory and heap over the child's baseline (network started, no member yet).

// JSON reads below index `serde_json::Value` by key, which gives `Null` for a missing key and
// never panics; slices are read with `get`.
#![allow(clippy::indexing_slicing)]

use crate::net::{address, start};
use crate::stats::{Res, Spread, ms, rss_kib};
use partage::{ItemDraft, ItemPatch, NeighbourhoodId, Node};
use partage_net::{ConnectionPath, Multiaddr, NetConfig, Network};
use partage_tests::nat::{HOME_NODE_IP, Internet, NodeIn};
use partage_tests::{TestNode, neighbourhood};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand of the memory child.
pub const SUBCOMMAND: &str = "__home-node";
const WAIT: Duration = Duration::from_secs(120);

pub struct Home {
    nat: Vec<Value>,
    memory: Value,
}

impl Home {
    pub fn json(&self) -> Value {
        json!({ "behind_nat": self.nat, "memory": self.memory })
    }

    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let median = |v: &Value| v["median"].as_f64().unwrap_or(f64::NAN);
        for n in &self.nat {
            if let Some(why) = n["skipped"].as_str() {
                out.push(format!("home node, {:<13} skipped: {why}", n["nat"].as_str().unwrap_or("?")));
                continue;
            }
            out.push(format!(
                "home node, {:<13} meet {:.1} ms, {} items {:.1} ms, live edit p50 {:.2} ms, path {}",
                n["nat"].as_str().unwrap_or("?"),
                median(&n["meet_ms"]),
                n["items"],
                median(&n["converge_ms"]),
                median(&n["edit_p50_ms"]),
                n["path"].as_str().unwrap_or("?")
            ));
        }
        out.push(format!(
            "home node memory      {} members: RSS +{} KiB, heap +{} B over its baseline",
            self.memory["members"], self.memory["rss_delta_kib"], self.memory["heap_delta_bytes"]
        ));
        out
    }
}

pub async fn measure(items: usize, edits: usize, members: usize, runs: usize) -> Res<Home> {
    let mut nat = Vec::new();
    for symmetric in [false, true] {
        nat.push(behind_nat(items, edits, runs, symmetric).await?);
    }
    Ok(Home { nat, memory: memory(members).await? })
}

async fn behind_nat(items: usize, edits: usize, runs: usize, symmetric: bool) -> Res<Value> {
    let name = if symmetric { "symmetric NAT" } else { "port-keeping" };
    let (mut meet, mut converge, mut edit) = (Vec::new(), Vec::new(), Vec::new());
    let (mut path, mut bytes) = (None, Vec::new());
    for _ in 0..runs {
        let Some(mut internet) = Internet::or_skip("partage-bench home") else {
            return Ok(json!({ "nat": name, "skipped": "needs root, network namespaces and iptables" }));
        };
        let alice_ns = internet.home_behind_nat("alice", 91, "10.90.0.2", symmetric)?;
        let bob_ns = internet.home_behind_nat("bob", 92, "10.90.0.3", symmetric)?;
        let (nodes, ns) = neighbourhood(&["Hugo", "Alice", "Bob"]);
        let [hugo, alice, bob] = nodes.as_slice() else { return Err("three nodes".into()) };
        let drafts: Vec<ItemDraft> = (0..items).map(|i| draft(&format!("Objet {i}"))).collect();
        let ids = alice.node.add_items(&ns, drafts)?;
        let quic: Multiaddr = format!("/ip4/{HOME_NODE_IP}/udp/4001/quic-v1").parse()?;
        let tcp: Multiaddr = format!("/ip4/{HOME_NODE_IP}/tcp/4001").parse()?;
        let home_config =
            NetConfig { listen: vec![tcp, quic.clone()], home_node: true, ..NetConfig::default() };
        let home = NodeIn::start(&internet.ns("home"), hugo.node.clone(), home_config);
        let a = NodeIn::start(&alice_ns, alice.node.clone(), member(vec![quic.clone()]));
        until("the home node holds Alice's items", || count(&hugo.node) >= items).await?;

        let started = Instant::now();
        let b = NodeIn::start(&bob_ns, bob.node.clone(), member(vec![quic]));
        let alice_member = alice.node.identity()?.ok_or("no identity")?.member;
        let path_to_alice = |net: &Network| {
            net.peers()
                .into_iter()
                .find(|p| p.member == Some(alice_member) && p.connected)
                .and_then(|p| p.path())
        };
        until("Bob connected to Alice", || {
            matches!(path_to_alice(&b.net), Some(ConnectionPath::Relayed | ConnectionPath::Upgraded))
        })
        .await?;
        meet.push(started.elapsed());
        until("Bob holds Alice's items", || count(&bob.node) >= items).await?;
        converge.push(started.elapsed());
        // Hole punching has had its chance (DCUtR's three attempts take a few seconds).
        let settle = Instant::now();
        while settle.elapsed() < Duration::from_secs(10)
            && path_to_alice(&b.net) != Some(ConnectionPath::Upgraded)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        path = path_to_alice(&b.net).map(|p| p.as_str());

        let before = interface_bytes(&internet.ns("home"));
        let mut lat = Vec::new();
        for i in 0..edits.max(1) {
            let title = format!("Objet modifié {i}");
            let t = Instant::now();
            let item = &ids.get(i % ids.len().max(1)).ok_or("no item to edit")?.item.id;
            alice.node.edit_item(item, &ItemPatch { title: Some(title.clone()), ..Default::default() })?;
            until("the edit at Bob", || has_title(&bob.node, &title)).await?;
            lat.push(t.elapsed());
        }
        if let (Some(b0), Some(b1)) = (before, interface_bytes(&internet.ns("home"))) {
            bytes.push(b1.saturating_sub(b0));
        }
        lat.sort();
        edit.extend(lat.get(lat.len() / 2));
        for n in [b, a, home] {
            n.stop();
        }
    }
    Ok(json!({
        "nat": name,
        "items": items,
        "meet_ms": Spread::of(&meet.iter().map(|d| ms(*d)).collect::<Vec<_>>()).json(),
        "converge_ms": Spread::of(&converge.iter().map(|d| ms(*d)).collect::<Vec<_>>()).json(),
        "edit_p50_ms": Spread::of(&edit.iter().map(|d| ms(*d)).collect::<Vec<_>>()).json(),
        "edits": edits,
        "path": path,
        "home_interface_bytes_during_edits": bytes,
    }))
}

fn member(peers: Vec<Multiaddr>) -> NetConfig {
    let any = |a: &str| a.parse::<Multiaddr>().ok();
    NetConfig {
        listen: [any("/ip4/0.0.0.0/tcp/0"), any("/ip4/0.0.0.0/udp/0/quic-v1")]
            .into_iter()
            .flatten()
            .collect(),
        peers,
        redial_interval: Duration::from_secs(1),
        ..NetConfig::default()
    }
}

fn draft(title: &str) -> ItemDraft {
    ItemDraft { title: title.into(), ..Default::default() }
}

fn count(node: &Node) -> usize {
    node.list_items(&Default::default()).map_or(0, |v| v.len())
}

fn has_title(node: &Node, title: &str) -> bool {
    node.list_items(&Default::default()).is_ok_and(|v| v.iter().any(|i| i.item.title == title))
}

async fn until(what: &str, mut check: impl FnMut() -> bool) -> Res<()> {
    let deadline = Instant::now() + WAIT;
    while !check() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Bytes received and sent on `eth0` of namespace `ns` (`ip -s link`).
fn interface_bytes(ns: &str) -> Option<u64> {
    let out = Command::new("ip").args(["-n", ns, "-s", "-j", "link", "show", "eth0"]).output().ok()?;
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    let stats = v.get(0)?.get("stats64")?;
    Some(stats["rx"]["bytes"].as_u64()? + stats["tx"]["bytes"].as_u64()?)
}

/// The home node's own memory serving `members` connected, verified, reserved members.
async fn memory(members: usize) -> Res<Value> {
    let names: Vec<String> =
        std::iter::once("Hugo".to_string()).chain((0..members).map(|i| format!("M{i}"))).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (mut nodes, _ns): (Vec<TestNode>, NeighbourhoodId) = neighbourhood(&refs);
    let TestNode { node: hugo, dir } = nodes.remove(0);
    drop(hugo);
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg(SUBCOMMAND)
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut to_child = child.stdin.take().ok_or("no stdin")?;
    let mut from_child = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    let mut next = |line: &mut String| -> Res<Value> {
        line.clear();
        from_child.read_line(line)?;
        Ok(serde_json::from_str(line)?)
    };
    let ready = next(&mut line)?;
    let addr: Multiaddr = ready["addr"].as_str().ok_or("no address from the home node")?.parse()?;
    let mut nets = Vec::new();
    for n in &nodes {
        nets.push(start(&n.node, vec![addr.clone()]).await?);
    }
    let home_peer = ready["peer"].as_str().unwrap_or_default().to_string();
    until("every member verified the home node", || {
        nets.iter()
            .all(|net| net.peers().iter().any(|p| p.peer_id.to_string() == home_peer && p.member.is_some()))
    })
    .await?;
    // Reservations follow the first round; give them a moment, then sample.
    tokio::time::sleep(Duration::from_secs(2)).await;
    writeln!(to_child, "sample")?;
    let sample = next(&mut line)?;
    drop(to_child);
    let _ = child.wait();
    for net in nets {
        net.stop().await?;
    }
    Ok(json!({
        "members": members,
        "connected_members_seen_by_home": sample["verified"],
        "rss_delta_kib": sample["rss_kib"].as_u64().unwrap_or(0).saturating_sub(ready["rss_kib"].as_u64().unwrap_or(0)),
        "heap_delta_bytes": sample["heap_bytes"].as_u64().unwrap_or(0).saturating_sub(ready["heap_bytes"].as_u64().unwrap_or(0)),
        "baseline": ready,
        "sample": sample,
    }))
}

/// The child: opens the home node's store, starts it on 127.0.0.1, prints its address and a
/// memory sample, then one sample per "sample" line on stdin; stops at end of input.
pub fn child(args: &[String]) -> Res<()> {
    let [dir] = args else { return Err(format!("usage: {SUBCOMMAND} DIR").into()) };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let node = Node::open(std::path::Path::new(dir))?;
        let net =
            crate::net::start_with(&node, NetConfig { home_node: true, ..NetConfig::loopback() }).await?;
        let addr = address(&net).await?;
        let sample = |net: &Network| {
            let peers = net.peers();
            json!({
                "addr": addr.to_string(),
                "peer": net.peer_id().to_string(),
                "rss_kib": rss_kib(),
                "heap_bytes": crate::memory::heap_bytes(),
                "verified": peers.iter().filter(|p| p.connected && p.member.is_some()).count(),
            })
        };
        println!("{}", sample(&net));
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            if line?.trim() == "sample" {
                println!("{}", sample(&net));
            }
        }
        net.stop().await?;
        Ok(())
    })
}
