//! Reactions to what the swarm reports: connections, listen addresses, identify, mDNS.

use super::EventLoop;
use super::slots::Unverified;
use crate::behaviour::BehaviourEvent;
use crate::peers::{IpGroup, dialable, with_peer, with_port_of};
use libp2p::core::ConnectedPoint;
#[cfg(feature = "mdns")]
use libp2p::mdns;
use libp2p::swarm::ConnectionId;
use libp2p::swarm::SwarmEvent;
#[cfg(feature = "mdns")]
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId, identify};
use partage::events::NetEvent;

impl EventLoop {
    pub(super) fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match &event {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                crate::trace!("{} connected {peer_id}", self.local)
            }
            SwarmEvent::ConnectionClosed { peer_id, cause, .. } => {
                crate::trace!("{} closed {peer_id} {cause:?}", self.local)
            }
            _ => {}
        }
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id, connection_id, endpoint, num_established, ..
            } => {
                self.pending_dials.remove(&connection_id);
                self.dirty = true;
                if self.paused {
                    self.swarm.close_connection(connection_id);
                    return;
                }
                self.on_connected(peer_id, connection_id, &endpoint, num_established.get());
            }
            SwarmEvent::ConnectionClosed { peer_id, connection_id, num_established, .. } => {
                self.dirty = true;
                self.slots.closed(connection_id);
                self.forget_connection(&peer_id, connection_id);
                if num_established == 0 {
                    self.member_gone(&peer_id);
                }
                if let Some(entry) = self.peers.get_mut(&peer_id) {
                    entry.connections = num_established;
                    // The session's stream may have been on this connection, and a stream does
                    // not always learn that its connection is gone: end the session (dropping
                    // its command sender) and open a fresh one if a connection remains.
                    if entry.session.take().is_some() {
                        entry.syncing = false;
                        entry.verified = false;
                    }
                }
                self.maybe_open_session(peer_id);
                if num_established == 0 {
                    if let Some(device) = self.device(&peer_id) {
                        self.emit(NetEvent::PeerDisconnected { peer: device });
                    }
                    if !self.redial_unproven(peer_id) {
                        self.forget_if_unknown(&peer_id);
                    }
                }
            }
            SwarmEvent::OutgoingConnectionError { connection_id, peer_id, error } => {
                self.pending_dials.remove(&connection_id);
                let who = peer_id.map(|p| p.to_string()).unwrap_or_else(|| "peer".into());
                self.note_dial_error(format!("{who}: {error}"));
            }
            SwarmEvent::NewListenAddr { listener_id, address } => {
                // Remember the port the system chose, to listen on it again after a pause.
                if let Some((_, asked)) = self.listeners.iter_mut().find(|(id, _)| *id == listener_id) {
                    *asked = with_port_of(asked, &address);
                }
                // A home node's relay hands its addresses to whoever reserves (without any, the
                // reservation is useless): its listen addresses are where members reach it.
                if self.config.home_node && !crate::event_loop::home_nodes::is_relayed(&address) {
                    self.swarm.add_external_address(address.clone());
                }
                let full = with_peer(&address, &self.local);
                self.emit(NetEvent::Listening { addr: full.to_string() });
                if !self.listen_addrs.contains(&address) {
                    self.listen_addrs.push(address);
                }
                self.dirty = true;
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| *a != address);
                self.dirty = true;
            }
            SwarmEvent::ListenerClosed { listener_id, addresses, reason } => {
                self.listen_addrs.retain(|a| !addresses.contains(a));
                self.dirty = true;
                self.listener_closed(listener_id, reason.map_err(|e| e.to_string()));
            }
            SwarmEvent::Behaviour(BehaviourEvent::Relay(e)) => self.on_relay_server(e),
            SwarmEvent::Behaviour(BehaviourEvent::RelayClient(e)) => self.on_relay_client(e),
            SwarmEvent::Behaviour(BehaviourEvent::Dcutr(e)) => self.on_hole_punch(e),
            SwarmEvent::Behaviour(BehaviourEvent::Probes(e)) => self.on_probe(e),
            SwarmEvent::Behaviour(BehaviourEvent::ProbeServer(e)) => self.on_probe_served(e),
            #[cfg(feature = "upnp")]
            SwarmEvent::Behaviour(BehaviourEvent::Upnp(e)) => self.on_port_mapping(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                let speaks = info.protocols.iter().any(|p| p.as_ref() == crate::PROTOCOL);
                let relays = info.protocols.iter().any(|p| p.as_ref() == crate::relay::HOP_PROTOCOL);
                if let Some(entry) = self.peers.get_mut(&peer_id) {
                    entry.offers_relay = relays;
                }
                self.on_identified(peer_id, info.listen_addrs, speaks);
                // (Identify may come after the first round: a home node is acted on either way.)
                self.maybe_reserve(peer_id);
                self.trust_probe_server(peer_id);
                self.store_home_node(peer_id);
            }
            #[cfg(feature = "mdns")]
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                self.on_discovered(found);
            }
            #[cfg(feature = "mdns")]
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Expired(gone))) => {
                for (peer, _) in gone {
                    self.discovered.remove(&peer);
                }
            }
            _ => {}
        }
    }

    fn on_connected(
        &mut self,
        peer: PeerId,
        conn: ConnectionId,
        endpoint: &ConnectedPoint,
        num_established: u32,
    ) {
        // (A peer whose identity is not ed25519 is no Partage device: it gets no session and is
        // closed at the unverified deadline like any other stranger, not in the middle of
        // identify.)
        let device = self.device(&peer);
        let remote = endpoint.get_remote_address().clone();
        let entry = self.peers.entry(peer).or_default();
        entry.connections = num_established;
        self.note_connection(peer, conn, endpoint);
        let Some(entry) = self.peers.get_mut(&peer) else { return };
        // Dialing worked: the backoff starts again from the beginning next time it is away.
        entry.redial = Default::default();
        if endpoint.is_dialer() {
            entry.dialed = true;
            let stripped: Multiaddr = crate::peers::without_last_peer(&remote);
            entry.add_addr(stripped.clone());
            // A ticket or configured address now has a known peer: keep it under that peer.
            self.loose_addrs.retain(|a| a.addr != stripped && a.addr != remote);
        }
        if !entry.verified {
            let known = entry.remembered || entry.member.is_some();
            let new = Unverified {
                conn,
                peer,
                since: std::time::Instant::now(),
                group: IpGroup::of(&remote),
                known,
            };
            for out in self.slots.admit(new) {
                crate::trace!("{} closes {} (over the unverified cap)", self.local, out.peer);
                self.swarm.close_connection(out.conn);
            }
        }
        if num_established == 1
            && let Some(device) = device
        {
            self.emit(NetEvent::PeerConnected { peer: device, addr: remote.to_string() });
        }
        self.maybe_open_session(peer);
    }

    /// Drops what was learned about a peer that never proved anything and is gone.
    pub(super) fn forget_if_unknown(&mut self, peer: &PeerId) {
        if let Some(entry) = self.peers.get(peer)
            && entry.connections == 0
            && !entry.remembered
            && entry.member.is_none()
            && entry.session.is_none()
            && !entry.opening
        {
            self.peers.remove(peer);
        }
    }

    fn on_identified(&mut self, peer: PeerId, listen_addrs: Vec<Multiaddr>, speaks_partage: bool) {
        let Some(entry) = self.peers.get_mut(&peer) else { return };
        let useful: Vec<Multiaddr> =
            listen_addrs.into_iter().filter(dialable).take(crate::peers::MAX_ADDRS).collect();
        for addr in useful.into_iter().rev() {
            entry.add_addr(addr);
        }
        // A session running says more than identify's list.
        if entry.session.is_none() {
            entry.speaks_partage = Some(speaks_partage);
        }
        self.dirty = true;
        if entry.member.is_some() {
            self.remember(peer, false);
        }
        if speaks_partage {
            self.maybe_open_session(peer);
        }
    }

    #[cfg(feature = "mdns")]
    fn on_discovered(&mut self, found: Vec<(PeerId, Multiaddr)>) {
        if self.paused {
            return;
        }
        let mut by_peer: Vec<(PeerId, Vec<Multiaddr>)> = Vec::new();
        for (peer, addr) in found {
            if peer == self.local || self.is_banned(&peer) {
                continue;
            }
            match by_peer.iter_mut().find(|(p, _)| *p == peer) {
                Some((_, addrs)) if addrs.len() < crate::peers::MAX_ADDRS => addrs.push(addr),
                Some(_) => {}
                None => by_peer.push((peer, vec![addr])),
            }
        }
        for (peer, addrs) in by_peer {
            if let (Some(device), true) = (self.device(&peer), self.discovered.insert(peer))
                && let Some(first) = addrs.first()
            {
                self.emit(NetEvent::PeerDiscovered { peer: device, addr: first.to_string() });
            }
            if self.swarm.is_connected(&peer) {
                continue;
            }
            let opts = DialOpts::peer_id(peer)
                .addresses(addrs)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            let id = opts.connection_id();
            if self.swarm.dial(opts).is_ok() {
                self.pending_dials.insert(id);
                self.dirty = true;
            }
        }
    }
}
