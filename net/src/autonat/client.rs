//! The AutoNAT v2 client, asking verified home nodes only (see the module above).
//!
//! libp2p's client picks any connected peer that lists the protocol. This wraps it: a
//! connection's first notice to the inner behaviour (that the peer serves AutoNAT) is held back
//! until the peer is a verified home node, so no one else is sent this device's addresses or
//! the 30–100 KB a test may ask for, and no one else's answer counts. Verification comes after
//! the connection (a sync session proves membership), hence the wait rather than a refusal.

use super::direct_ip;
use crate::peer_set::PeerSet;
use either::Either;
use libp2p::core::Endpoint;
use libp2p::core::transport::PortUse;
use libp2p::swarm::{
    ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, NewExternalAddrCandidate,
    THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId};
use libp2p_autonat::v2::client;
use std::collections::{HashMap, HashSet};
use std::task::{Context, Poll};

pub(crate) struct HomeNodeProbes {
    inner: client::Behaviour,
    home_nodes: PeerSet,
    /// Per connection, its notice held until the peer is a verified home node (one each).
    waiting: HashMap<ConnectionId, (PeerId, THandlerOutEvent<client::Behaviour>)>,
    /// Connections whose notices go through.
    passed: HashSet<ConnectionId>,
}

impl HomeNodeProbes {
    pub(crate) fn new(home_nodes: PeerSet) -> Self {
        let config = client::Config::default()
            .with_probe_interval(super::PROBE_INTERVAL)
            .with_max_candidates(super::MAX_CANDIDATES);
        HomeNodeProbes {
            inner: client::Behaviour::new(rand::make_rng(), config),
            home_nodes,
            waiting: HashMap::new(),
            passed: HashSet::new(),
        }
    }

    /// Hands over the notices of connections whose peer has become a verified home node.
    fn release(&mut self) {
        let ready: Vec<ConnectionId> = self
            .waiting
            .iter()
            .filter(|(_, (peer, _))| self.home_nodes.contains(peer))
            .map(|(c, _)| *c)
            .collect();
        for conn in ready {
            if let Some((peer, event)) = self.waiting.remove(&conn) {
                self.passed.insert(conn);
                self.inner.on_connection_handler_event(peer, conn, event);
            }
        }
    }
}

impl NetworkBehaviour for HomeNodeProbes {
    type ConnectionHandler = THandler<client::Behaviour>;
    type ToSwarm = client::Event;

    fn handle_pending_inbound_connection(
        &mut self,
        conn: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.inner.handle_pending_inbound_connection(conn, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        conn: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner.handle_established_inbound_connection(conn, peer, local, remote)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        conn: ConnectionId,
        peer: Option<PeerId>,
        addresses: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.inner.handle_pending_outbound_connection(conn, peer, addresses, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        conn: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner.handle_established_outbound_connection(conn, peer, addr, role, port_use)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match &event {
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                self.waiting.remove(connection_id);
                self.passed.remove(connection_id);
            }
            // What peers saw over a relay (or a bare peer id) is no address to test: it would
            // only spend the home node's budget for this member.
            FromSwarm::NewExternalAddrCandidate(NewExternalAddrCandidate { addr })
                if direct_ip(addr).is_none() =>
            {
                return;
            }
            _ => {}
        }
        self.inner.on_swarm_event(event);
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        conn: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        // `Left`: from a connection this device dialed (support, then test outcomes); `Right`: a
        // dial-back arriving, which the inner behaviour checks against its own nonces.
        let held = matches!(event, Either::Left(_)) && !self.passed.contains(&conn);
        if held && !self.home_nodes.contains(&peer) {
            self.waiting.insert(conn, (peer, event));
            return;
        }
        if held {
            self.passed.insert(conn);
        }
        self.inner.on_connection_handler_event(peer, conn, event);
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        // (The inner behaviour's probe timer wakes this often enough to see new home nodes.)
        self.release();
        self.inner.poll(cx)
    }
}
