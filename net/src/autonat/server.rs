//! A home node's AutoNAT v2 server, for verified members only (see the module above).
//!
//! libp2p's server has no hook to choose whom it serves, so this wraps it: the handler's request
//! to dial a peer back reaches the inner behaviour only from a verified member, on a direct
//! inbound connection, within the budget; the dial it then asks for may go only to the IP
//! address that request came from (`handle_pending_outbound_connection` refuses any other).
//! Everything before that request is bounded by libp2p itself: at most 10 requests in flight per
//! connection, each dropped after 10 s.

use super::direct_ip as ip_of;
use crate::peer_set::PeerSet;
use either::Either;
use libp2p::core::Endpoint;
use libp2p::core::transport::PortUse;
use libp2p::swarm::{
    ConnectionClosed, ConnectionDenied, ConnectionId, DialFailure, FromSwarm, NetworkBehaviour, THandler,
    THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId};
use libp2p_autonat::v2::server;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Dial-backs per member, and for everyone together, within one window: a device tests a few
/// addresses when it joins a network, not a stream of them.
const PER_MEMBER: usize = 8;
const IN_ALL: usize = 64;
const WINDOW: Duration = Duration::from_secs(10 * 60);

pub(crate) struct MembersOnlyProbes {
    inner: server::Behaviour,
    members: PeerSet,
    /// The remote IP of each direct inbound connection: where a dial-back may go.
    observed: HashMap<ConnectionId, IpAddr>,
    /// Requests let through, in order, until the inner behaviour asks to dial.
    approved: VecDeque<(PeerId, IpAddr)>,
    /// Dials the inner behaviour asked for, and the IP each may reach (`None`: none).
    dialing: HashMap<ConnectionId, Option<IpAddr>>,
    budget: Budget,
}

#[derive(Debug, thiserror::Error)]
#[error("a dial-back may only go to the address the request came from")]
struct ElsewhereRefused;

impl MembersOnlyProbes {
    pub(crate) fn new(members: PeerSet) -> Self {
        MembersOnlyProbes {
            inner: server::Behaviour::default(),
            members,
            observed: HashMap::new(),
            approved: VecDeque::new(),
            dialing: HashMap::new(),
            budget: Budget::default(),
        }
    }

    /// Whether `peer`'s request, on `conn`, may be served now (and the IP to dial back if so).
    fn admit(&mut self, peer: PeerId, conn: ConnectionId) -> Option<IpAddr> {
        let ip = *self.observed.get(&conn)?;
        (self.members.contains(&peer) && self.budget.take(peer, Instant::now())).then_some(ip)
    }
}

impl NetworkBehaviour for MembersOnlyProbes {
    type ConnectionHandler = THandler<server::Behaviour>;
    type ToSwarm = server::Event;

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
        if let Some(ip) = ip_of(remote) {
            self.observed.insert(conn, ip);
        }
        self.inner.handle_established_inbound_connection(conn, peer, local, remote)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        conn: ConnectionId,
        peer: Option<PeerId>,
        addresses: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        if let Some(allowed) = self.dialing.get(&conn) {
            let only_there = allowed
                .is_some_and(|ip| !addresses.is_empty() && addresses.iter().all(|a| ip_of(a) == Some(ip)));
            if !only_there {
                self.dialing.remove(&conn);
                return Err(ConnectionDenied::new(ElsewhereRefused));
            }
        }
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
        self.dialing.remove(&conn);
        self.inner.handle_established_outbound_connection(conn, peer, addr, role, port_use)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match &event {
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                self.observed.remove(connection_id);
            }
            FromSwarm::DialFailure(DialFailure { connection_id, .. }) => {
                self.dialing.remove(connection_id);
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
        // A request to be dialed back, its address already read: dropped here, the handler
        // answers the peer with an error and nothing is dialed.
        if let Either::Right(Either::Left(_)) = &event {
            let Some(ip) = self.admit(peer, conn) else {
                crate::trace!("AutoNAT: dial-back refused to {peer}");
                return;
            };
            if self.approved.len() >= IN_ALL {
                self.approved.pop_front();
            }
            self.approved.push_back((peer, ip));
        }
        self.inner.on_connection_handler_event(peer, conn, event);
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        let event = std::task::ready!(self.inner.poll(cx));
        if let ToSwarm::Dial { opts } = &event {
            // The inner behaviour asks for one dial per request let through, in the same order.
            let peer = opts.get_peer_id();
            let allowed = match self.approved.iter().position(|(p, _)| Some(*p) == peer) {
                Some(i) => self.approved.remove(i).map(|(_, ip)| ip),
                None => None,
            };
            self.dialing.insert(opts.connection_id(), allowed);
        }
        Poll::Ready(event)
    }
}

/// Dial-backs served per member and in all, in a sliding window.
#[derive(Default)]
struct Budget {
    all: VecDeque<Instant>,
    per_member: HashMap<PeerId, VecDeque<Instant>>,
}

impl Budget {
    fn take(&mut self, peer: PeerId, now: Instant) -> bool {
        let fresh = |t: &Instant| now.saturating_duration_since(*t) < WINDOW;
        self.all.retain(fresh);
        self.per_member.retain(|_, times| {
            times.retain(fresh);
            !times.is_empty()
        });
        let mine = self.per_member.get(&peer).map_or(0, VecDeque::len);
        if self.all.len() >= IN_ALL || mine >= PER_MEMBER {
            return false;
        }
        self.all.push_back(now);
        self.per_member.entry(peer).or_default().push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_caps_each_member_and_everyone() {
        let mut budget = Budget::default();
        let now = Instant::now();
        let alice = PeerId::random();
        assert!((0..PER_MEMBER).all(|_| budget.take(alice, now)));
        assert!(!budget.take(alice, now), "one member's window is full");
        assert!(budget.take(alice, now + WINDOW), "and frees up once the window has passed");
        let mut budget = Budget::default();
        let others: Vec<PeerId> = (0..IN_ALL).map(|_| PeerId::random()).collect();
        assert!(others.iter().all(|p| budget.take(*p, now)));
        assert!(!budget.take(PeerId::random(), now), "the window is full for everyone");
    }
}
