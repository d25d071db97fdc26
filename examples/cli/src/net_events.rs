//! How network and inventory events read, for `partage run` and the demo: one line for people,
//! or one JSON object per line (`--json`).

use crate::output::item_line;
use partage::events::NetEvent;
use partage::{DeviceId, Event, MemberId, NeighbourhoodId, Node};
use serde_json::{Value, json};
use std::time::Duration;

/// A peer as people read it: its peer id, shortened.
pub fn peer_name(device: &DeviceId) -> String {
    match partage_net::peer_id_of(device) {
        Some(p) => {
            let s = p.to_string();
            let tail = &s[s.len().saturating_sub(6)..];
            format!("…{tail}")
        }
        None => device.short(),
    }
}

fn member_name(node: &Node, ns: &NeighbourhoodId, member: &MemberId) -> String {
    node.members(ns)
        .ok()
        .and_then(|ms| ms.into_iter().find(|m| m.member == *member).map(|m| m.name))
        .unwrap_or_else(|| member.short())
}

fn neighbourhood_name(node: &Node, ns: &NeighbourhoodId) -> String {
    node.neighbourhood(ns).map(|n| n.name).unwrap_or_else(|_| ns.short())
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub fn size(bytes: u64) -> String {
    if bytes < 10_000 { format!("{bytes} B") } else { format!("{:.1} KB", bytes as f64 / 1000.0) }
}

/// One line describing `event`, or `None` for events not worth a line.
pub fn describe(node: &Node, event: &Event) -> Option<String> {
    Some(match event {
        Event::Network(e) => describe_net(node, e)?,
        Event::ItemAdded(v) => format!("item added: {}", item_line(v)),
        Event::ItemUpdated(v) => format!("item updated: {}", item_line(v)),
        Event::ItemRemoved { item, .. } => format!("item removed: {}", item.short()),
        Event::MemberUpdated { name, .. } => format!("member known: {name}"),
        Event::MemberRevoked { member, .. } => format!("member revoked: {}", member.short()),
        Event::MembershipConfirmed { .. } => "a member confirmed your ticket: you are in".to_string(),
        Event::Overflow { missed } => format!("({missed} events skipped: too many at once)"),
        _ => return None,
    })
}

fn describe_net(node: &Node, e: &NetEvent) -> Option<String> {
    Some(match e {
        NetEvent::Listening { addr } => format!("listening on {addr}"),
        NetEvent::PeerDiscovered { peer, addr } => {
            format!("found peer {} on the LAN at {addr}", peer_name(peer))
        }
        NetEvent::PeerConnected { peer, addr } => format!("peer {} connected ({addr})", peer_name(peer)),
        NetEvent::PeerDisconnected { peer } => format!("peer {} disconnected", peer_name(peer)),
        NetEvent::PeerVerified { peer, member, neighbourhood } => format!(
            "peer {} proved membership of \"{}\" as {}",
            peer_name(peer),
            neighbourhood_name(node, neighbourhood),
            member_name(node, neighbourhood, member)
        ),
        NetEvent::PeerRefused { peer, neighbourhood, reason } => format!(
            "peer {} refused for \"{}\": {reason}",
            peer_name(peer),
            neighbourhood_name(node, neighbourhood)
        ),
        NetEvent::SyncStarted { .. } => return None,
        NetEvent::SyncFinished(s) => format!(
            "sync with {} done in {}: received {} doc(s) ({}), sent {} doc(s) ({})",
            peer_name(&s.peer),
            ms(s.duration),
            s.docs_received,
            size(s.bytes_received),
            s.docs_sent,
            size(s.bytes_sent)
        ),
        NetEvent::DocReceived { peer, neighbourhood, owner, changes, whole_document, bytes } => format!(
            "received {}'s document from {}: {}, {}",
            member_name(node, neighbourhood, owner),
            peer_name(peer),
            if *whole_document { "whole document".to_owned() } else { format!("{changes} new change(s)") },
            size(*bytes)
        ),
        NetEvent::DocSent { .. } => return None,
        NetEvent::DocRefused { peer, owner, reason, .. } => {
            format!("refused a document of {} from {}: {reason}", owner.short(), peer_name(peer))
        }
        NetEvent::PeerMisbehaved { peer, reason } => {
            format!("peer {} misbehaved and was disconnected: {reason}", peer_name(peer))
        }
        NetEvent::SyncFailed { peer, reason } => format!("sync with {} failed: {reason}", peer_name(peer)),
        NetEvent::DeviceLinked { device } => format!("linked a new device of yours: {}", device.short()),
    })
}

/// The event as one JSON object (for `partage run --json`).
pub fn to_json(event: &Event) -> Option<Value> {
    Some(match event {
        Event::Network(e) => net_json(e),
        Event::ItemAdded(v) => json!({"event": "item_added", "item": v}),
        Event::ItemUpdated(v) => json!({"event": "item_updated", "item": v}),
        Event::ItemRemoved { neighbourhood, item } => {
            json!({"event": "item_removed", "neighbourhood": neighbourhood.to_hex(), "item": item.to_hex()})
        }
        Event::MembershipConfirmed { neighbourhood } => {
            json!({"event": "membership_confirmed", "neighbourhood": neighbourhood.to_hex()})
        }
        _ => return None,
    })
}

fn peer_json(d: &DeviceId) -> Value {
    json!(partage_net::peer_id_of(d).map(|p| p.to_string()).unwrap_or_else(|| d.to_hex()))
}

fn net_json(e: &NetEvent) -> Value {
    match e {
        NetEvent::Listening { addr } => json!({"event": "listening", "addr": addr}),
        NetEvent::PeerDiscovered { peer, addr } => {
            json!({"event": "peer_discovered", "peer": peer_json(peer), "addr": addr})
        }
        NetEvent::PeerConnected { peer, addr } => {
            json!({"event": "peer_connected", "peer": peer_json(peer), "addr": addr})
        }
        NetEvent::PeerDisconnected { peer } => json!({"event": "peer_disconnected", "peer": peer_json(peer)}),
        NetEvent::PeerVerified { peer, member, neighbourhood } => json!({
            "event": "peer_verified", "peer": peer_json(peer), "member": member.to_hex(),
            "neighbourhood": neighbourhood.to_hex()
        }),
        NetEvent::PeerRefused { peer, neighbourhood, reason } => json!({
            "event": "peer_refused", "peer": peer_json(peer), "neighbourhood": neighbourhood.to_hex(), "reason": reason
        }),
        NetEvent::SyncStarted { peer } => json!({"event": "sync_started", "peer": peer_json(peer)}),
        NetEvent::SyncFinished(s) => json!({
            "event": "sync_finished", "peer": peer_json(&s.peer), "docs_received": s.docs_received,
            "docs_sent": s.docs_sent, "bytes_received": s.bytes_received, "bytes_sent": s.bytes_sent,
            "duration_ms": s.duration.as_secs_f64() * 1000.0
        }),
        NetEvent::DocReceived { peer, neighbourhood, owner, changes, bytes, .. } => json!({
            "event": "doc_received", "peer": peer_json(peer), "neighbourhood": neighbourhood.to_hex(),
            "owner": owner.to_hex(), "changes": changes, "bytes": bytes
        }),
        NetEvent::DocSent { peer, neighbourhood, owner, bytes } => json!({
            "event": "doc_sent", "peer": peer_json(peer), "neighbourhood": neighbourhood.to_hex(),
            "owner": owner.to_hex(), "bytes": bytes
        }),
        NetEvent::DocRefused { peer, owner, reason, .. } => json!({
            "event": "doc_refused", "peer": peer_json(peer), "owner": owner.to_hex(), "reason": reason
        }),
        NetEvent::PeerMisbehaved { peer, reason } => {
            json!({"event": "peer_misbehaved", "peer": peer_json(peer), "reason": reason})
        }
        NetEvent::SyncFailed { peer, reason } => {
            json!({"event": "sync_failed", "peer": peer_json(peer), "reason": reason})
        }
        NetEvent::DeviceLinked { device } => json!({"event": "device_linked", "device": device.to_string()}),
    }
}
