//! The libp2p behaviours combined in the one swarm, and how the swarm is built.

use crate::autonat::{HomeNodeProbes, MembersOnlyProbes};
use crate::config::NetConfig;
use crate::error::NetError;
use crate::peer_set::PeerSet;
use crate::peers::IpGroup;
use libp2p::core::Endpoint;
use libp2p::core::multiaddr::Protocol;
use libp2p::core::transport::PortUse;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent,
    ToSwarm, dummy,
};
use libp2p::{
    Multiaddr, PeerId, Swarm, SwarmBuilder, allow_block_list, connection_limits, dcutr, identify, noise,
    ping, relay, tcp, yamux,
};
use std::collections::HashMap;
use std::convert::Infallible;
use std::task::{Context, Poll};

/// Agent announced by identify, to anyone who connects (members or not): no application
/// version, which would tell a stranger which bugs a device has (issue 12). Peers of this crate
/// tell each other apart by the sync protocol's version, which stream negotiation checks.
pub const AGENT: &str = "partage";
/// Identify protocol family (a protocol version, not the application's).
pub const IDENTIFY_PROTOCOL: &str = "/partage/id/1";

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    pub pending_per_ip: PendingPerIp,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    /// LAN discovery, with the `mdns` feature and [`NetConfig::mdns`].
    pub mdns: Toggle<Mdns>,
    pub stream: libp2p_stream::Behaviour,
    /// Reservations and circuits through home nodes (every node).
    pub relay_client: relay::client::Behaviour,
    /// The relay server of a home node, members only (ADR 0019).
    pub relay: Toggle<relay::Behaviour>,
    /// Upgrades a relayed connection to a direct one by hole punching.
    pub dcutr: dcutr::Behaviour,
    /// A home node's port mapping on the router (UPnP), with the `upnp` feature.
    pub upnp: Toggle<PortMapping>,
    /// Asks verified home nodes to dial this device back: is it reachable? (AutoNAT v2)
    pub probes: HomeNodeProbes,
    /// A home node dials verified members back when they ask (AutoNAT v2).
    pub probe_server: Toggle<MembersOnlyProbes>,
}

/// LAN discovery: libp2p's mDNS with the `mdns` feature, nothing without it (the phone
/// libraries, whose apps discover peers with Bonjour and Android NSD).
#[cfg(feature = "mdns")]
pub(crate) type Mdns = libp2p::mdns::tokio::Behaviour;
#[cfg(not(feature = "mdns"))]
pub(crate) type Mdns = dummy::Behaviour;

/// A config that asks for mDNS in a build without it is refused ([`NetError::NoMdns`]) before
/// anything is built or listens, not silently run without discovery.
fn check_mdns(config: &NetConfig) -> Result<(), NetError> {
    if config.mdns && !cfg!(feature = "mdns") {
        return Err(NetError::NoMdns);
    }
    Ok(())
}

/// A config that listens on QUIC in a build without it is refused ([`NetError::NoQuic`]) before
/// anything is built or listens: libp2p alone would fail with "multiaddr not supported".
fn check_quic(config: &NetConfig) -> Result<(), NetError> {
    if cfg!(feature = "quic") {
        return Ok(());
    }
    match config.listen.iter().find(|addr| is_quic(addr)) {
        Some(addr) => Err(NetError::NoQuic { addr: addr.to_string() }),
        None => Ok(()),
    }
}

/// A QUIC address (`/udp/…/quic-v1`, or the older draft `/quic`), anywhere in the multiaddr.
pub(crate) fn is_quic(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| matches!(p, Protocol::QuicV1 | Protocol::Quic))
}

/// The mDNS behaviour, if the config asks for it.
#[cfg(feature = "mdns")]
fn new_mdns(config: &NetConfig, peer: PeerId) -> std::io::Result<Option<Mdns>> {
    if !config.mdns {
        return Ok(None);
    }
    let mdns_config = libp2p::mdns::Config {
        query_interval: config.mdns_query_interval,
        ..libp2p::mdns::Config::default()
    };
    Mdns::new(mdns_config, peer).map(Some)
}
#[cfg(not(feature = "mdns"))]
fn new_mdns(_config: &NetConfig, _peer: PeerId) -> std::io::Result<Option<Mdns>> {
    Ok(None)
}

#[cfg(feature = "upnp")]
pub(crate) type PortMapping = libp2p::upnp::tokio::Behaviour;
#[cfg(not(feature = "upnp"))]
pub(crate) type PortMapping = dummy::Behaviour;

fn new_port_mapping() -> PortMapping {
    #[cfg(feature = "upnp")]
    return PortMapping::default();
    #[cfg(not(feature = "upnp"))]
    dummy::Behaviour
}

/// Connections to one peer at once: two (both sides dialed, or a relayed one and its direct
/// successor) and a home node's reachability dial-back, which a full quota would refuse, making
/// a reachable member look unreachable.
const MAX_CONNECTIONS_PER_PEER: u32 = 3;

/// Builds the swarm: TCP and QUIC, Noise, Yamux, relayed connections, the behaviours above.
/// `members` are the peers this node's relay and probe server serve, if it is a home node;
/// `home_nodes` the verified home nodes this node asks to probe it.
pub(crate) fn build_swarm(
    keypair: libp2p::identity::Keypair,
    config: &NetConfig,
    members: &PeerSet,
    home_nodes: &PeerSet,
) -> Result<Swarm<Behaviour>, NetError> {
    let limits = connection_limits::ConnectionLimits::default()
        .with_max_established(Some(config.max_connections))
        .with_max_pending_incoming(Some(config.max_pending))
        .with_max_pending_outgoing(Some(config.max_pending))
        .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER));
    check_mdns(config)?;
    check_quic(config)?;
    let home_node = config.home_node;
    let upnp = home_node && config.upnp && cfg!(feature = "upnp");
    let (members, home_nodes) = (members.clone(), home_nodes.clone());
    let max_pending_per_ip = config.max_pending_per_ip;
    let builder = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Setup(format!("TCP transport: {e}")))?;
    // QUIC next to TCP with the `quic` feature; the phone libraries are TCP only (ADR 0022).
    #[cfg(feature = "quic")]
    let builder = builder.with_quic();
    let swarm = builder
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Setup(format!("relay transport: {e}")))?
        .with_behaviour(|key, relay_client| -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
            let peer = key.public().to_peer_id();
            let mdns = new_mdns(config, peer)?;
            let probe_server = home_node.then(|| MembersOnlyProbes::new(members.clone()));
            let relay = home_node.then(|| {
                let mut relay = relay::Behaviour::new(peer, crate::relay::server_config(&members));
                // libp2p offers the relay only once it knows a public address of its own; a home
                // node on a LAN or behind a mapped port offers it from the start.
                relay.set_status(Some(relay::Status::Enable));
                relay
            });
            Ok(Behaviour {
                blocked: allow_block_list::Behaviour::default(),
                limits: connection_limits::Behaviour::new(limits),
                pending_per_ip: PendingPerIp::new(max_pending_per_ip),
                identify: identify::Behaviour::new(
                    identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
                        .with_agent_version(AGENT.into()),
                ),
                ping: ping::Behaviour::default(),
                mdns: Toggle::from(mdns),
                stream: libp2p_stream::Behaviour::new(),
                relay_client,
                relay: Toggle::from(relay),
                dcutr: dcutr::Behaviour::new(peer),
                upnp: Toggle::from(upnp.then(new_port_mapping)),
                probes: HomeNodeProbes::new(home_nodes),
                probe_server: Toggle::from(probe_server),
            })
        })
        .map_err(|e| NetError::Setup(format!("behaviours: {e}")))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
        .build();
    Ok(swarm)
}

/// Incoming connections still in their handshake, per remote IP address (IPv6: per /64): one
/// address cannot take every pending slot. Loopback is not counted (see [`IpGroup`]).
pub(crate) struct PendingPerIp {
    max: usize,
    pending: HashMap<ConnectionId, IpGroup>,
}

#[derive(Debug, thiserror::Error)]
#[error("too many connections being set up from one address")]
struct TooManyPending;

impl PendingPerIp {
    pub(crate) fn new(max: usize) -> Self {
        PendingPerIp { max: max.max(1), pending: HashMap::new() }
    }
}

impl NetworkBehaviour for PendingPerIp {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        _local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        let Some(group) = IpGroup::of(remote) else { return Ok(()) };
        // The map never holds more than the global pending cap lets through (each entry leaves
        // when its handshake ends, either way).
        if self.pending.values().filter(|g| **g == group).count() >= self.max {
            return Err(ConnectionDenied::new(TooManyPending));
        }
        self.pending.insert(connection_id, group);
        Ok(())
    }

    fn handle_established_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        _peer: PeerId,
        _local: &Multiaddr,
        _remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.pending.remove(&connection_id);
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        _peer: PeerId,
        _addr: &Multiaddr,
        _role: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        if let FromSwarm::ListenFailure(failure) = event {
            self.pending.remove(&failure.connection_id);
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _peer: PeerId,
        _id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quic_addresses_are_told_from_tcp_ones() {
        let is = |s: &str| is_quic(&s.parse().unwrap());
        assert!(is("/ip4/0.0.0.0/udp/0/quic-v1"));
        assert!(is("/ip6/::1/udp/4001/quic"));
        assert!(!is("/ip4/0.0.0.0/tcp/0"));
        assert!(!is("/ip4/127.0.0.1/udp/4001"));
        let quic_only = NetConfig {
            listen: vec!["/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap()],
            ..NetConfig::default()
        };
        let refused = check_quic(&quic_only);
        assert_eq!(refused.is_err(), !cfg!(feature = "quic"), "{refused:?}");
        assert!(check_quic(&NetConfig::default()).is_ok(), "the default listens only where the build can");
    }

    #[test]
    fn one_address_cannot_take_every_pending_slot() {
        let local: Multiaddr = "/ip4/10.0.0.1/tcp/4000".parse().unwrap();
        let attacker: Multiaddr = "/ip4/10.0.0.66/tcp/5000".parse().unwrap();
        let member: Multiaddr = "/ip4/10.0.0.7/tcp/5000".parse().unwrap();
        let loopback: Multiaddr = "/ip4/127.0.0.1/tcp/5000".parse().unwrap();
        let mut b = PendingPerIp::new(2);
        let id = ConnectionId::new_unchecked;
        assert!(b.handle_pending_inbound_connection(id(1), &local, &attacker).is_ok());
        assert!(b.handle_pending_inbound_connection(id(2), &local, &attacker).is_ok());
        assert!(b.handle_pending_inbound_connection(id(3), &local, &attacker).is_err());
        assert!(b.handle_pending_inbound_connection(id(4), &local, &member).is_ok());
        for n in 5..20 {
            assert!(b.handle_pending_inbound_connection(id(n), &local, &loopback).is_ok());
        }
        // A handshake that finishes frees its slot.
        let peer = PeerId::random();
        assert!(b.handle_established_inbound_connection(id(1), peer, &local, &attacker).is_ok());
        assert!(b.handle_pending_inbound_connection(id(21), &local, &attacker).is_ok());
    }
}
