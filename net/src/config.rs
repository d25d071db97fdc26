//! How a [`crate::Network`] behaves: where it listens, whom it dials, and its limits.

use libp2p::Multiaddr;
use std::time::Duration;

/// Network settings. [`NetConfig::default`] listens on every interface (TCP and QUIC, ports
/// chosen by the system) with mDNS **off**; [`NetConfig::lan`] turns mDNS on, and
/// [`NetConfig::loopback`] is what tests use (127.0.0.1 only, TCP, no mDNS).
///
/// Start from one of these and change what differs:
///
/// ```
/// use partage_net::NetConfig;
/// use std::time::Duration;
///
/// # fn main() -> Result<(), partage_net::NetError> {
/// let config = NetConfig {
///     // A fixed port, say for a home node behind a port forward.
///     listen: vec![partage_net::Network::parse_address("/ip4/0.0.0.0/tcp/4001")?],
///     // A peer known by address, dialed at start and whenever the node resumes or syncs.
///     peers: vec![partage_net::Network::parse_address("/ip4/192.168.1.20/tcp/4001")?],
///     redial_interval: Duration::from_secs(60),
///     ..NetConfig::lan()
/// };
/// assert!(config.mdns);
/// assert!(!NetConfig::default().mdns);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Addresses to listen on. By default every interface on TCP, and on QUIC too with the
    /// `quic` feature (on by default); a build without it refuses a QUIC address here with
    /// [`crate::NetError::NoQuic`].
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start (and whenever the node resumes or syncs).
    pub peers: Vec<Multiaddr>,
    /// Also dial the peers remembered in the store (and ticket addresses). Off for a one-shot
    /// sync with one given peer.
    pub dial_remembered: bool,
    /// Discover peers on the local network with mDNS. Never turn this on in tests outside a
    /// network namespace of their own: the multicast would leave the machine. Needs the `mdns`
    /// feature (on by default): without it, [`crate::Network::start`] refuses this with
    /// [`crate::NetError::NoMdns`].
    pub mdns: bool,
    /// How often mDNS asks the LAN who is there.
    pub mdns_query_interval: Duration,
    /// Established connections, in and out, at most: a hard cap over everything (strangers
    /// hold at most `max_unverified` of them, the rest is left to members).
    pub max_connections: u32,
    /// A connection whose peer has not proven membership of a shared neighbourhood within
    /// this long of connecting is closed (members prove it within milliseconds). Also the
    /// grace period of peers that do not speak the sync protocol at all.
    pub unverified_deadline: Duration,
    /// Connections whose peer has not proven membership yet, at most: a new one over the cap
    /// closes the oldest (strangers before peers known as members).
    pub max_unverified: usize,
    /// Of those, from one remote IP address (IPv6: one /64) at most, the oldest from that
    /// address closed first. Loopback is not counted (only local processes come from there).
    pub max_unverified_per_ip: usize,
    /// Connections being set up at most (each way).
    pub max_pending: u32,
    /// Incoming connections being set up from one remote IP address (IPv6: one /64) at most.
    /// Loopback is not counted.
    pub max_pending_per_ip: usize,
    /// Largest protocol message accepted from a peer, in bytes (a whole 10,000-item document
    /// is about 1.6 MB).
    pub max_message_bytes: usize,
    /// Bytes of large incoming messages held in memory at once, over all peers.
    pub inbound_budget_bytes: usize,
    /// Connections with no sync session are closed after this long.
    pub idle_timeout: Duration,
    /// How often peers that are known but not connected are dialed again. Remembered members:
    /// after 1 s, the wait doubling up to this, for as long as they are away. Ticket and other
    /// addresses that never led to a member: after this, doubling up to 16 times this, 10
    /// times at most; then only when the app asks (start, resume, `sync_now`).
    pub redial_interval: Duration,
    /// How long a peer that sent garbage, oversized or forged data stays blocked.
    pub ban_duration: Duration,
    /// A sync round in which the peer sends nothing for this long is given up (the session
    /// ends and reports it): a peer cannot keep a round, and whoever waits on it, open forever.
    pub round_idle_timeout: Duration,
    /// Names the network the device is on, when the app knows it (say, a hash of the Wi-Fi
    /// network's identity): the transport key is derived from it instead of from the local
    /// subnets (ADR 0016). Two networks with the same subnets (many homes use 192.168.1.0/24)
    /// then still get unrelated peer ids. Never sent anywhere.
    pub network_hint: Option<String>,
    /// How often the network is looked at again; when it changed (the device moved), the
    /// swarm restarts with the new network's transport key.
    pub network_check_interval: Duration,
    /// Serve as a neighbourhood's home node (ADR 0019): relay for members that proved their
    /// membership here (reservations and circuits), nobody else.
    pub home_node: bool,
    /// Keep a reservation on each home node this device verified (at most a few), so members
    /// can reach it through them when it is not reachable directly.
    pub reserve_on_home_nodes: bool,
    /// A home node asks the router to forward its ports (UPnP IGD). Needs the `upnp` feature;
    /// without it, this is ignored. It looks for a router on the LAN by multicast.
    pub upnp: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            listen: default_listen(),
            peers: Vec::new(),
            dial_remembered: true,
            mdns: false,
            mdns_query_interval: Duration::from_secs(30),
            max_connections: 256,
            unverified_deadline: Duration::from_secs(10),
            max_unverified: 32,
            max_unverified_per_ip: 8,
            max_pending: 16,
            max_pending_per_ip: 4,
            max_message_bytes: 32 * 1024 * 1024,
            inbound_budget_bytes: 128 * 1024 * 1024,
            idle_timeout: Duration::from_secs(60),
            redial_interval: Duration::from_secs(30),
            ban_duration: Duration::from_secs(10 * 60),
            round_idle_timeout: Duration::from_secs(120),
            network_hint: None,
            network_check_interval: Duration::from_secs(10),
            home_node: false,
            reserve_on_home_nodes: true,
            upnp: false,
        }
    }
}

impl NetConfig {
    /// Every interface, with mDNS discovery on: what an app on a home or building LAN wants.
    /// Needs the `mdns` feature (see [`NetConfig::mdns`]).
    pub fn lan() -> Self {
        NetConfig { mdns: true, ..NetConfig::default() }
    }

    /// TCP on 127.0.0.1 only, no mDNS: for tests and benchmarks.
    pub fn loopback() -> Self {
        NetConfig { listen: vec![any_addr("/ip4/127.0.0.1/tcp/0")], ..NetConfig::default() }
    }
}

/// Every interface, a port of the system's choice: TCP, and QUIC in builds with it.
fn default_listen() -> Vec<Multiaddr> {
    let mut listen = vec![any_addr("/ip4/0.0.0.0/tcp/0")];
    if cfg!(feature = "quic") {
        listen.push(any_addr("/ip4/0.0.0.0/udp/0/quic-v1"));
    }
    listen
}

fn any_addr(s: &str) -> Multiaddr {
    // These literals are valid multiaddrs; an empty address (listening nowhere) is the
    // harmless fallback should one ever fail to parse.
    s.parse().unwrap_or_else(|_| Multiaddr::empty())
}
