//! Home nodes from the loop's side (ADR 0019): who may use this node's relay, reservations this
//! node keeps on the home nodes it verified, and which connections go through a relay.

use super::EventLoop;
use libp2p::core::ConnectedPoint;
use libp2p::core::transport::ListenerId;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::ConnectionId;
use libp2p::{Multiaddr, PeerId, dcutr, relay};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Home nodes this device keeps a reservation on at once.
const MAX_RESERVATIONS: usize = 3;
/// After a refused or lost reservation, the wait before asking that home node again.
const RESERVE_RETRY: Duration = Duration::from_secs(5);

#[derive(Default)]
pub(super) struct Reservations {
    /// On home nodes: the listener of each reservation this device holds.
    held: HashMap<PeerId, ListenerId>,
    retry_at: HashMap<PeerId, Instant>,
    /// On a home node: the members holding a reservation here.
    served: HashSet<PeerId>,
    /// Home nodes written to the store this session (once each: their addresses go in invites).
    stored: HashSet<PeerId>,
    /// Members told about this device's home nodes this session (once each).
    hinted: HashSet<PeerId>,
    /// Hints from peers whose proof has not arrived yet (one frame each, a few peers).
    pending_hints: HashMap<PeerId, Vec<Multiaddr>>,
}

/// Peers whose early hints are kept until their proof arrives.
const MAX_PENDING_HINTS: usize = 16;

/// Whether an address goes through a relay.
pub(super) fn is_relayed(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| matches!(p, Protocol::P2pCircuit))
}

impl EventLoop {
    /// A round with a proven member finished: it may use this node's relay (if this is a home
    /// node), and if it is a home node itself, this node reserves on it.
    pub(super) fn member_verified(&mut self, peer: PeerId) {
        self.members.insert(peer);
        self.maybe_reserve(peer);
        self.home_node_proven(peer);
    }

    /// The peer's proof was just verified (its round may have finished before, when there was
    /// nothing to exchange): a home node is kept for invites, a member hears of this device's
    /// home nodes, and hints it sent before its proof are acted on.
    pub(super) fn home_node_proven(&mut self, peer: PeerId) {
        self.trust_probe_server(peer);
        self.store_home_node(peer);
        self.send_home_hints(peer);
        if let Some(addrs) = self.reservations.pending_hints.remove(&peer) {
            self.on_home_hints(peer, addrs);
        }
    }

    /// Tells a member (not a home node itself) where the home nodes of the neighbourhoods it
    /// proved are, once per session (`crate::home_hints`).
    fn send_home_hints(&mut self, peer: PeerId) {
        let Some(entry) = self.peers.get(&peer) else { return };
        if entry.offers_relay || entry.neighbourhoods.is_empty() || !self.reservations.hinted.insert(peer) {
            return;
        }
        let hoods: Vec<partage::NeighbourhoodId> = entry.neighbourhoods.iter().copied().collect();
        let (node, control) = (self.node.clone(), self.control.clone());
        self.tasks.spawn(async move {
            let known = tokio::task::spawn_blocking(move || {
                hoods
                    .iter()
                    .flat_map(|ns| node.home_node_addresses(ns).unwrap_or_default())
                    .collect::<Vec<String>>()
            })
            .await
            .unwrap_or_default();
            let mut addrs: Vec<Multiaddr> = Vec::new();
            for a in known.iter().filter_map(|a| a.parse::<Multiaddr>().ok()) {
                if crate::peers::peer_in(&a) != Some(peer) && !addrs.contains(&a) {
                    addrs.push(a);
                }
            }
            addrs.truncate(crate::home_hints::MAX_HINTS);
            if !addrs.is_empty() {
                crate::home_hints::send(control, peer, addrs).await;
            }
        });
    }

    /// A member named home nodes: each not connected yet is dialed (and counts as a home node
    /// only once it proves membership here). Only a verified member is listened to.
    pub(super) fn on_home_hints(&mut self, member: PeerId, addrs: Vec<Multiaddr>) {
        if !self.peers.get(&member).is_some_and(|e| e.verified) {
            // Its proof may still be on the way (frames race on separate streams); a stranger's
            // hints are never acted on, and take one bounded slot at most.
            let pending = &mut self.reservations.pending_hints;
            if pending.contains_key(&member) || pending.len() < MAX_PENDING_HINTS {
                pending.insert(member, addrs);
            }
            return;
        }
        let new: Vec<Multiaddr> = addrs
            .into_iter()
            .filter(|a| crate::peers::dialable(a) && !is_relayed(a))
            .filter(|a| {
                crate::peers::peer_in(a).is_some_and(|p| p != self.local && !self.swarm.is_connected(&p))
            })
            .collect();
        crate::trace!("{} hinted home nodes by {member}: {new:?}", self.local);
        if let Err(e) = self.dial_all(&new, true) {
            crate::trace!("{} could not dial a hinted home node: {e}", self.local);
        }
    }

    /// A verified home node is kept in the store once per session, with its direct addresses and
    /// the neighbourhoods it proved: invites made here carry them (`Node::invite`).
    pub(super) fn store_home_node(&mut self, peer: PeerId) {
        let Some(entry) = self.peers.get(&peer) else { return };
        let Some(device) = entry.device else { return };
        if !entry.verified || !entry.offers_relay || self.reservations.stored.contains(&peer) {
            return;
        }
        self.reservations.stored.insert(peer);
        let addrs: Vec<String> = entry
            .addrs
            .iter()
            .filter(|a| !is_relayed(a) && crate::peers::dialable(a))
            .map(|a| crate::peers::with_peer(a, &peer).to_string())
            .collect();
        let hoods: Vec<partage::NeighbourhoodId> = entry.neighbourhoods.iter().copied().collect();
        let node = self.node.clone();
        self.writes.spawn_blocking(move || {
            if let Err(e) = node.remember_home_node(&device, &addrs, &hoods) {
                crate::trace!("could not keep the home node {device:?}: {e}");
            }
        });
    }

    /// The peer is gone or no longer proven: it may not use the relay any more.
    pub(super) fn member_gone(&mut self, peer: &PeerId) {
        self.members.remove(peer);
        self.probe_servers.remove(peer);
        self.reservations.served.remove(peer);
        self.reservations.pending_hints.remove(peer);
    }

    pub(super) fn note_connection(&mut self, peer: PeerId, conn: ConnectionId, endpoint: &ConnectedPoint) {
        // (An inbound circuit shows the relay in its local address, the source alone in the other.)
        let relayed = match endpoint {
            ConnectedPoint::Dialer { address, .. } => is_relayed(address),
            ConnectedPoint::Listener { local_addr, send_back_addr } => {
                is_relayed(local_addr) || is_relayed(send_back_addr)
            }
        };
        let Some(entry) = self.peers.get_mut(&peer) else { return };
        // A direct connection makes the relayed ones redundant: they are closed, so the session
        // (which may have started on a circuit) moves to the direct one and the home node
        // carries nothing more. Hole punching succeeded if this one came after a circuit,
        // whichever side's attempt won.
        let redundant: Vec<ConnectionId> = if relayed {
            entry.relayed.insert(conn);
            let has_direct = entry.connections as usize > entry.relayed.len();
            if has_direct { vec![conn] } else { Vec::new() }
        } else {
            if !entry.relayed.is_empty() {
                entry.upgraded = true;
            }
            entry.relayed.iter().copied().collect()
        };
        for conn in redundant {
            self.swarm.close_connection(conn);
        }
    }

    pub(super) fn forget_connection(&mut self, peer: &PeerId, conn: ConnectionId) {
        if let Some(entry) = self.peers.get_mut(peer) {
            entry.relayed.remove(&conn);
        }
    }

    /// Asks `peer` for a reservation if it is a verified home node this device does not hold one
    /// on yet (and was not refused by a moment ago).
    pub(super) fn maybe_reserve(&mut self, peer: PeerId) {
        if self.paused || self.config.home_node || !self.config.reserve_on_home_nodes {
            return;
        }
        let r = &self.reservations;
        if r.held.contains_key(&peer)
            || r.held.len() >= MAX_RESERVATIONS
            || r.retry_at.get(&peer).is_some_and(|at| *at > Instant::now())
        {
            return;
        }
        let Some(entry) = self.peers.get(&peer) else { return };
        if !(entry.verified && entry.offers_relay && entry.connections > 0) {
            return;
        }
        let Some(addr) = entry.addrs.iter().find(|a| !is_relayed(a)).cloned() else { return };
        let circuit = addr.with(Protocol::P2p(peer)).with(Protocol::P2pCircuit);
        match self.swarm.listen_on(circuit) {
            Ok(id) => {
                crate::trace!("{} asks {peer} for a reservation", self.local);
                self.reservations.held.insert(peer, id);
            }
            Err(e) => self.note_dial_error(format!("{peer}: no reservation: {e}")),
        }
    }

    /// Home nodes whose reservation was refused or lost: asked again when due.
    pub(super) fn reserve_due(&mut self) {
        let relays: Vec<PeerId> =
            self.peers.iter().filter(|(_, e)| e.offers_relay && e.verified).map(|(p, _)| *p).collect();
        for peer in relays {
            self.maybe_reserve(peer);
        }
    }

    /// A listener ended: if it was a reservation, it may be asked for again later.
    pub(super) fn listener_closed(&mut self, id: ListenerId, reason: Result<(), String>) {
        let Some(peer) = self.reservations.held.iter().find(|(_, l)| **l == id).map(|(p, _)| *p) else {
            return;
        };
        crate::trace!("{} reservation listener on {peer} closed: {reason:?}", self.local);
        self.reservations.held.remove(&peer);
        self.reservations.retry_at.insert(peer, Instant::now() + RESERVE_RETRY);
        if let Err(why) = reason {
            self.note_dial_error(format!("{peer}: reservation refused or lost: {why}"));
        }
    }

    /// Drops every reservation (pausing, stopping).
    pub(super) fn drop_reservations(&mut self) {
        for (_, id) in self.reservations.held.drain() {
            self.swarm.remove_listener(id);
        }
    }

    pub(super) fn on_relay_server(&mut self, event: relay::Event) {
        crate::trace!("{} relay: {event:?}", self.local);
        match event {
            relay::Event::ReservationReqAccepted { src_peer_id, renewed } => {
                let first = self.reservations.served.insert(src_peer_id);
                if first || !renewed {
                    self.introduce(src_peer_id);
                }
            }
            relay::Event::ReservationClosed { src_peer_id }
            | relay::Event::ReservationTimedOut { src_peer_id } => {
                self.reservations.served.remove(&src_peer_id);
            }
            _ => {}
        }
    }

    /// A member just reserved here: it learns the transport ids of the members already reserved
    /// that share one of its neighbourhoods (`crate::reach`), and dials each through this node.
    fn introduce(&mut self, newcomer: PeerId) {
        let shares = |a: Option<&crate::peers::PeerEntry>, b: Option<&crate::peers::PeerEntry>| match (a, b) {
            (Some(a), Some(b)) => {
                a.verified && b.verified && !a.neighbourhoods.is_disjoint(&b.neighbourhoods)
            }
            _ => false,
        };
        let others: Vec<PeerId> = self
            .reservations
            .served
            .iter()
            .filter(|p| **p != newcomer && shares(self.peers.get(p), self.peers.get(&newcomer)))
            .take(crate::reach::MAX_NAMED)
            .copied()
            .collect();
        // Only the newcomer dials (the others would dial it at the same moment, and two circuits
        // would race each other's hole punching).
        if !others.is_empty() {
            self.tasks.spawn(crate::reach::send(self.control.clone(), newcomer, others));
        }
    }

    /// A home node named members it can reach: each not connected yet is dialed through it. Only
    /// a verified home node is listened to (a stranger's list is dropped); a hostile member's
    /// costs at most one frame's worth of dials through its own relay.
    pub(super) fn on_reachable(&mut self, home: PeerId, named: Vec<PeerId>) {
        let Some(entry) = self.peers.get(&home) else { return };
        if !(entry.verified && entry.offers_relay) {
            return;
        }
        let Some(relay_addr) = entry.addrs.iter().find(|a| !is_relayed(a)).cloned() else { return };
        let via: Vec<Multiaddr> = named
            .into_iter()
            .filter(|p| *p != self.local && *p != home && !self.swarm.is_connected(p))
            .map(|p| {
                relay_addr.clone().with(Protocol::P2p(home)).with(Protocol::P2pCircuit).with(Protocol::P2p(p))
            })
            .collect();
        crate::trace!("{} reaches through {home}: {via:?}", self.local);
        if let Err(e) = self.dial_all(&via, true) {
            crate::trace!("{} could not dial through {home}: {e}", self.local);
        }
    }

    pub(super) fn on_relay_client(&mut self, event: relay::client::Event) {
        crate::trace!("{} relay client: {event:?}", self.local);
    }

    /// What the router said about this home node's ports (UPnP).
    #[cfg(feature = "upnp")]
    pub(super) fn on_port_mapping(&mut self, event: libp2p::upnp::Event) {
        use libp2p::upnp::Event;
        let state = match event {
            Event::NewExternalAddr { external_addr, .. } => format!("mapped: {external_addr}"),
            Event::ExpiredExternalAddr { external_addr, .. } => format!("mapping lost: {external_addr}"),
            Event::GatewayNotFound => "no router answered (UPnP): forward the ports by hand".to_string(),
            Event::NonRoutableGateway => {
                "the router is itself behind another NAT: no public address to map".to_string()
            }
        };
        crate::trace!("{} port mapping: {state}", self.local);
        self.port_mapping = Some(state);
        self.dirty = true;
    }

    pub(super) fn on_hole_punch(&mut self, event: dcutr::Event) {
        crate::trace!("{} hole punching: {event:?}", self.local);
        if event.result.is_ok()
            && let Some(entry) = self.peers.get_mut(&event.remote_peer_id)
        {
            entry.upgraded = true;
            self.dirty = true;
        }
    }
}
