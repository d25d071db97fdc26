//! `partage run`, `partage sync`, `partage peers`, `partage status`.

use crate::args::RunArgs;
use crate::error::{CliError, CliResult};
use crate::net_events::{describe, ms, peer_name, size, to_json};
use crate::output::Out;
use partage::Node;
use partage_net::{Multiaddr, NetConfig, Network};
use serde_json::json;
use std::time::Duration;

pub(super) fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("could not start the async runtime: {e}")))
}

fn addresses(list: &[String]) -> CliResult<Vec<Multiaddr>> {
    list.iter().map(|a| Network::parse_address(a).map_err(net_error)).collect()
}

pub(super) fn net_error(e: partage_net::NetError) -> CliError {
    match e {
        partage_net::NetError::Node(e) => CliError::Core(e),
        e => CliError::msg(e.to_string()),
    }
}

/// Stays online until Ctrl-C (or SIGTERM), printing every event.
pub fn run(node: &Node, dir: &std::path::Path, args: RunArgs, out: &mut Out) -> CliResult {
    node.identity()?.ok_or(partage::Error::NoIdentity)?;
    let mut config = NetConfig {
        mdns: !args.no_mdns,
        peers: addresses(&args.peers)?,
        home_node: args.home_node,
        upnp: args.home_node && !args.no_upnp,
        ..NetConfig::default()
    };
    if !args.listen.is_empty() {
        config.listen = addresses(&args.listen)?;
    } else if args.home_node {
        // Fixed ports: members remember them, and a router's port forward can point at them.
        config.listen = addresses(&HOME_NODE_LISTEN.map(String::from))?;
    }
    runtime()?.block_on(async {
        let mut events = node.subscribe();
        let net = Network::start(node.clone(), config).await.map_err(net_error)?;
        let stop = shutdown_signal();
        tokio::pin!(stop);
        let mut paths = Paths::default();
        let mut shown: Option<serde_json::Value> = None;
        let mut look = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = &mut stop => break,
                event = events.recv() => match event {
                    Some(event) => print_event(node, &event, out)?,
                    None => break,
                },
                _ = look.tick() => {
                    paths.print_changes(&net, out)?;
                    let status = crate::live_status::snapshot(&net);
                    if shown.as_ref() != Some(&status) {
                        // (A status that cannot be written only leaves `partage status` without it.)
                        let _ = crate::live_status::write(dir, &status);
                        shown = Some(status);
                    }
                }
            }
        }
        crate::live_status::remove(dir);
        net.stop().await.map_err(net_error)?;
        if !out.json {
            out.line("stopped")?;
        }
        Ok(())
    })
}

/// Where a home node listens unless told otherwise.
const HOME_NODE_LISTEN: [&str; 2] = ["/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"];

/// How each connected peer is reached (direct, relayed, upgraded), and a home node's port
/// mapping, printed when they change.
#[derive(Default)]
struct Paths {
    peers: std::collections::HashMap<partage_net::PeerId, partage_net::ConnectionPath>,
    port_mapping: Option<String>,
    reachability: partage_net::Reachability,
}

impl Paths {
    fn print_changes(&mut self, net: &Network, out: &mut Out) -> CliResult {
        let mapping = net.port_mapping();
        if mapping.is_some() && mapping != self.port_mapping {
            let state = mapping.clone().unwrap_or_default();
            if out.json {
                out.line(json!({ "event": "port_mapping", "state": state }))?;
            } else {
                out.line(format_args!("port mapping: {state}"))?;
            }
            self.port_mapping = mapping;
        }
        let reachability = net.reachability();
        if reachability != self.reachability {
            let addrs = crate::live_status::reachability_addresses(&reachability);
            if out.json {
                out.line(
                    json!({ "event": "reachability", "state": reachability.as_str(), "addresses": addrs }),
                )?;
            } else {
                out.line(format_args!("reachability: {} {}", reachability.as_str(), addrs.join(" ")))?;
            }
            self.reachability = reachability;
        }
        let peers = net.peers();
        self.peers.retain(|id, _| peers.iter().any(|p| p.peer_id == *id && p.connected));
        for p in &peers {
            let Some(path) = p.path() else { continue };
            if self.peers.insert(p.peer_id, path) == Some(path) {
                continue;
            }
            let member = p.member.map(|m| m.to_hex());
            if out.json {
                out.line(json!({
                    "event": "path",
                    "peer": p.peer_id.to_string(),
                    "member": member,
                    "path": path.as_str(),
                    "home_node": p.home_node,
                }))?;
            } else {
                let who = if p.home_node { "home node" } else { "peer" };
                out.line(format_args!("{who} {} reached {}", p.peer_id, path.as_str()))?;
            }
        }
        Ok(())
    }
}

fn print_event(node: &Node, event: &partage::Event, out: &mut Out) -> CliResult {
    if out.json {
        if let Some(v) = to_json(event) {
            out.line(v)?;
        }
    } else if let Some(line) = describe(node, event) {
        out.line(line)?;
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM where there is one.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Connects to the given peers only, syncs, prints a summary.
pub fn sync(node: &Node, peers: &[String], timeout: u64, out: &mut Out) -> CliResult {
    node.identity()?.ok_or(partage::Error::NoIdentity)?;
    let config = NetConfig {
        listen: Vec::new(),
        peers: addresses(peers)?,
        dial_remembered: false,
        mdns: false,
        ..NetConfig::default()
    };
    let report = runtime()?.block_on(async {
        let net = Network::start(node.clone(), config).await.map_err(net_error)?;
        let report = net.sync_now(Duration::from_secs(timeout)).await.map_err(net_error);
        net.stop().await.map_err(net_error)?;
        report
    })?;
    if out.json {
        let peers: Vec<_> = report
            .peers
            .iter()
            .map(|p| {
                json!({
                    "peer": p.peer_id.to_string(),
                    "finished": p.outcome.is_some(),
                    "converged": p.outcome.as_ref().is_some_and(|o| o.converged),
                    "docs_received": p.outcome.as_ref().map_or(0, |o| o.docs_received),
                    "docs_sent": p.outcome.as_ref().map_or(0, |o| o.docs_sent),
                    "bytes_received": p.outcome.as_ref().map_or(0, |o| o.bytes_received),
                    "bytes_sent": p.outcome.as_ref().map_or(0, |o| o.bytes_sent),
                    "duration_ms": p.outcome.as_ref().map_or(0.0, |o| o.duration.as_secs_f64() * 1000.0),
                })
            })
            .collect();
        out.write_json(&json!({"peers": peers, "elapsed_ms": report.elapsed.as_secs_f64() * 1000.0}))?;
    } else {
        for p in &report.peers {
            match &p.outcome {
                Some(o) => out.line(format_args!(
                    "synced with {} in {}: received {} doc(s) ({}), sent {} doc(s) ({}){}",
                    p.peer_id,
                    ms(o.duration),
                    o.docs_received,
                    size(o.bytes_received),
                    o.docs_sent,
                    size(o.bytes_sent),
                    if o.converged { "" } else { "; some data could not be exchanged" }
                ))?,
                None => out.line(format_args!("sync with {} did not finish in {timeout} s", p.peer_id))?,
            }
        }
    }
    if report.peers.is_empty() {
        let why = report.dial_errors.last().cloned().unwrap_or_else(|| "no answer".into());
        return Err(CliError::msg(format!("could not reach any peer ({why})")));
    }
    if !report.complete() {
        return Err(CliError::msg(format!("sync did not complete within {timeout} s")));
    }
    Ok(())
}

/// Remembered peers.
pub fn peers(node: &Node, out: &mut Out) -> CliResult {
    let peers = node.known_peers()?;
    if out.json {
        let rows: Vec<_> = peers
            .iter()
            .map(|p| {
                json!({
                    "device": p.device.to_hex(),
                    "addrs": p.addrs,
                    "last_seen_ms": p.last_seen_ms,
                    "last_synced_ms": p.last_synced_ms,
                })
            })
            .collect();
        return out.write_json(&rows);
    }
    if peers.is_empty() {
        return out.line(
            "(no peers yet: `partage run` finds them on the LAN, `partage sync --peer ADDR` dials one)",
        );
    }
    for p in &peers {
        let id = format!("device {}", p.device.short());
        let synced = p.last_synced_ms.map(when).unwrap_or_else(|| "never".into());
        out.line(format_args!("{id}  last seen {}  last synced {synced}", when(p.last_seen_ms)))?;
        for a in &p.addrs {
            out.line(format_args!("    {a}"))?;
        }
    }
    Ok(())
}

/// Identity, neighbourhoods, peers, last sync.
pub fn status(node: &Node, listen: &[String], out: &mut Out) -> CliResult {
    let me = node.identity()?.ok_or(partage::Error::NoIdentity)?;
    let hoods = node.neighbourhoods()?;
    let peers = node.known_peers()?;
    let last_sync = peers.iter().filter_map(|p| p.last_synced_ms).max();
    let mut config = NetConfig::default();
    if !listen.is_empty() {
        config.listen = addresses(listen)?;
    }
    let peer_id =
        partage_net::transport_peer_id(&node.device_secret()?, &config).map_err(net_error)?.to_string();
    if out.json {
        return out.write_json(&json!({
            "name": me.name,
            "member": me.member.to_hex(),
            "device": me.device.to_hex(),
            "peer_id": peer_id,
            "neighbourhoods": hoods.iter().map(|n| json!({"id": n.id.to_hex(), "name": n.name, "members": n.members, "items": n.items})).collect::<Vec<_>>(),
            "known_peers": peers.len(),
            "last_synced_ms": last_sync,
        }));
    }
    out.line(format_args!("{} (member {}, device {})", me.name, me.member.short(), peer_name(&me.device)))?;
    out.line(format_args!("peer id: {peer_id}"))?;
    for n in &hoods {
        out.line(format_args!("neighbourhood \"{}\": {} member(s), {} item(s)", n.name, n.members, n.items))?;
    }
    out.line(format_args!("known peers: {}", peers.len()))?;
    out.line(format_args!("last sync: {}", last_sync.map(when).unwrap_or_else(|| "never".into())))
}

/// `partage status` while `partage run` holds the store: what that process shows.
pub fn live_status(live: &serde_json::Value, out: &mut Out) -> CliResult {
    if out.json {
        return out.write_json(&json!({ "online": live }));
    }
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_string();
    out.line(format_args!("online: partage run (pid {}), peer id {}", live["pid"], text(&live["peer_id"])))?;
    if let Some(mapping) = live["port_mapping"].as_str() {
        out.line(format_args!("port mapping: {mapping}"))?;
    }
    let reach = &live["reachability"];
    let addrs: Vec<String> = reach["addresses"].as_array().into_iter().flatten().map(text).collect();
    out.line(format_args!("reachability: {} {}", text(&reach["state"]), addrs.join(" ")))?;
    let peers = live["peers"].as_array().map(Vec::as_slice).unwrap_or_default();
    out.line(format_args!("connected peers: {}", peers.len()))?;
    for p in peers {
        let who = if p["home_node"].as_bool() == Some(true) { "home node" } else { "peer" };
        out.line(format_args!("  {who} {} reached {}", text(&p["peer"]), text(&p["path"])))?;
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM UTC`.
fn when(ms: u64) -> String {
    let secs = (ms / 1000) % 86_400;
    format!("{} {:02}:{:02} UTC", partage::clock::format_date(ms), secs / 3600, (secs / 60) % 60)
}
