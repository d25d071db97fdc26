//! The libp2p behaviours combined in the one swarm, and how the swarm is built.

use crate::config::NetConfig;
use crate::error::NetError;
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    Swarm, SwarmBuilder, allow_block_list, connection_limits, identify, mdns, noise, ping, tcp, yamux,
};

/// Agent version announced by identify.
const AGENT: &str = concat!("partage/", env!("CARGO_PKG_VERSION"));
/// Identify protocol family.
const IDENTIFY_PROTOCOL: &str = "/partage/id/1";

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    pub stream: libp2p_stream::Behaviour,
}

/// Builds the swarm: TCP and QUIC, Noise, Yamux, the behaviours above.
pub(crate) fn build_swarm(secret: [u8; 32], config: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
    let keypair = crate::identity::keypair(secret)?;
    let limits = connection_limits::ConnectionLimits::default()
        .with_max_established(Some(config.max_connections))
        .with_max_pending_incoming(Some(config.max_pending))
        .with_max_pending_outgoing(Some(config.max_pending))
        .with_max_established_per_peer(Some(2));
    let mdns_config = mdns::Config { query_interval: config.mdns_query_interval, ..mdns::Config::default() };
    let want_mdns = config.mdns;
    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Setup(format!("TCP transport: {e}")))?
        .with_quic()
        .with_behaviour(|key| -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
            let peer = key.public().to_peer_id();
            let mdns = if want_mdns { Some(mdns::tokio::Behaviour::new(mdns_config, peer)?) } else { None };
            Ok(Behaviour {
                blocked: allow_block_list::Behaviour::default(),
                limits: connection_limits::Behaviour::new(limits),
                identify: identify::Behaviour::new(
                    identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
                        .with_agent_version(AGENT.into()),
                ),
                ping: ping::Behaviour::default(),
                mdns: Toggle::from(mdns),
                stream: libp2p_stream::Behaviour::new(),
            })
        })
        .map_err(|e| NetError::Setup(format!("behaviours: {e}")))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
        .build();
    Ok(swarm)
}
