//! Whether this device can be dialed from outside (issue 13): libp2p's AutoNAT v2, gated both
//! ways (ADR 0019).
//!
//! - A home node runs the server: it dials a device back on a fresh port to test one of the
//!   device's addresses. It does so only for verified members, only to the IP address the request
//!   came from, and a few times per member and per window (`server`). A stranger's request is
//!   answered with an error and nothing is dialed.
//! - Every node runs the client, and asks only the home nodes it verified (`client`): a stranger
//!   it dialed (a LAN announcer, say) is never sent its addresses nor believed.
//!
//! A dial-back that arrives proves the address; one that cannot arrive (a NAT, a firewall) marks
//! it unreachable. The result is [`Reachability`], in `Network::reachability`.

#[cfg(test)]
mod aim_test;
mod client;
mod server;

pub(crate) use client::HomeNodeProbes;
pub(crate) use server::MembersOnlyProbes;

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// How often the client looks for untested addresses (libp2p's default is 5 s).
pub(crate) const PROBE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);
/// Addresses of this device the client tests (libp2p's default).
pub(crate) const MAX_CANDIDATES: usize = 10;

/// Whether this device can be reached from outside, as its verified home nodes found by
/// dialing it back (AutoNAT v2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Reachability {
    /// No home node has tested an address of this device yet (none is connected and verified,
    /// or the tests are still running).
    #[default]
    Unknown,
    /// A home node reached these addresses on its own: peers can dial this device there.
    Reachable {
        /// The addresses a home node reached.
        addresses: Vec<Multiaddr>,
    },
    /// Every address tested was out of reach (a NAT or a firewall in the way): peers off this
    /// network reach the device through a home node's relay.
    NotReachable {
        /// The addresses tested.
        tested: Vec<Multiaddr>,
    },
}

impl Reachability {
    /// A short word for logs and the CLI: `unknown`, `reachable` or `not reachable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reachability::Unknown => "unknown",
            Reachability::Reachable { .. } => "reachable",
            Reachability::NotReachable { .. } => "not reachable",
        }
    }

    /// The addresses it names: those reached, or those tested in vain (none when unknown).
    pub fn addresses(&self) -> &[Multiaddr] {
        match self {
            Reachability::Unknown => &[],
            Reachability::Reachable { addresses } => addresses,
            Reachability::NotReachable { tested } => tested,
        }
    }
}

/// The IP address of a direct address (not through a relay): the only kind worth testing, and
/// the only kind a home node dials back.
pub(crate) fn direct_ip(addr: &Multiaddr) -> Option<IpAddr> {
    if addr.iter().any(|p| matches!(p, Protocol::P2pCircuit)) {
        return None;
    }
    addr.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

/// The outcomes seen on this swarm: addresses proven and addresses that failed (each bounded:
/// the client tests at most `MAX_CANDIDATES` addresses at a time).
#[derive(Default)]
pub(crate) struct ProbeLog {
    reached: BTreeSet<Multiaddr>,
    failed: BTreeSet<Multiaddr>,
}

const MAX_LOGGED: usize = 2 * MAX_CANDIDATES;

impl ProbeLog {
    /// Records one test's outcome; returns whether the reachability changed.
    pub(crate) fn record(&mut self, addr: Multiaddr, reached: bool) -> bool {
        let before = self.reachability();
        let (to, from) = if reached {
            (&mut self.reached, &mut self.failed)
        } else {
            (&mut self.failed, &mut self.reached)
        };
        from.remove(&addr);
        if to.len() < MAX_LOGGED {
            to.insert(addr);
        }
        self.reachability() != before
    }

    pub(crate) fn reachability(&self) -> Reachability {
        if !self.reached.is_empty() {
            Reachability::Reachable { addresses: self.reached.iter().cloned().collect() }
        } else if !self.failed.is_empty() {
            Reachability::NotReachable { tested: self.failed.iter().cloned().collect() }
        } else {
            Reachability::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_reached_address_makes_the_device_reachable() {
        let mut log = ProbeLog::default();
        assert_eq!(log.reachability(), Reachability::Unknown);
        let (a, b): (Multiaddr, Multiaddr) =
            ("/ip4/192.0.2.1/udp/4001/quic-v1".parse().unwrap(), "/ip4/192.0.2.1/tcp/4001".parse().unwrap());
        assert!(log.record(a.clone(), false));
        assert_eq!(log.reachability(), Reachability::NotReachable { tested: vec![a.clone()] });
        assert!(log.record(b.clone(), true));
        assert_eq!(log.reachability(), Reachability::Reachable { addresses: vec![b.clone()] });
        assert!(!log.record(a.clone(), false), "another failure changes nothing");
        assert!(log.record(b, false), "the only reached address failed since");
    }

    #[test]
    fn only_direct_addresses_have_an_ip_to_dial_back() {
        assert_eq!(direct_ip(&"/ip4/192.0.2.7/tcp/1".parse().unwrap()), Some("192.0.2.7".parse().unwrap()));
        let circuit: Multiaddr =
            "/ip4/192.0.2.7/tcp/1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/p2p-circuit"
                .parse()
                .unwrap();
        assert_eq!(direct_ip(&circuit), None);
    }

    #[test]
    fn the_log_is_bounded() {
        let mut log = ProbeLog::default();
        for port in 0..1000u16 {
            log.record(format!("/ip4/192.0.2.1/tcp/{port}").parse().unwrap(), port % 2 == 0);
        }
        assert!(log.reached.len() <= MAX_LOGGED && log.failed.len() <= MAX_LOGGED);
    }
}
