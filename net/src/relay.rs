//! A home node relays for members only (ADR 0019): libp2p's circuit relay v2 server, gated by
//! its own rate-limiter hook. `MembersOnly` admits a reservation or a circuit only from a
//! peer that proved membership in a sync session on this node and is still connected.

use crate::peer_set::PeerSet;
use libp2p::{Multiaddr, PeerId, relay};
use std::time::{Duration, Instant};

/// The relay hop protocol: identify lists it for a peer that relays.
pub const HOP_PROTOCOL: &str = "/libp2p/circuit/relay/0.2.0/hop";
/// Reservations a home node holds at once (a neighbourhood's members, not the internet).
const MAX_RESERVATIONS: usize = 256;
/// Circuits at once, and per peer.
const MAX_CIRCUITS: usize = 64;
const MAX_CIRCUITS_PER_PEER: usize = 8;
/// One circuit carries a first sync at most (a whole 10,000-item neighbourhood is a few MB);
/// hole punching then replaces it with a direct connection when the NATs allow.
const MAX_CIRCUIT_BYTES: u64 = 64 * 1024 * 1024;
const MAX_CIRCUIT_DURATION: Duration = Duration::from_secs(30 * 60);

/// Admits only verified members (see the module docs).
struct MembersOnly(PeerSet);

impl relay::RateLimiter for MembersOnly {
    fn try_next(&mut self, peer: PeerId, _addr: &Multiaddr, _now: Instant) -> bool {
        self.0.contains(&peer)
    }
}

/// The relay server's settings: members only, then libp2p's own per-peer and per-IP limits.
pub(crate) fn server_config(members: &PeerSet) -> relay::Config {
    let mut config = relay::Config {
        max_reservations: MAX_RESERVATIONS,
        max_circuits: MAX_CIRCUITS,
        max_circuits_per_peer: MAX_CIRCUITS_PER_PEER,
        max_circuit_bytes: MAX_CIRCUIT_BYTES,
        max_circuit_duration: MAX_CIRCUIT_DURATION,
        ..relay::Config::default()
    };
    // The members-only gate goes first: a stranger does not even spend a rate-limit slot.
    config.reservation_rate_limiters.insert(0, Box::new(MembersOnly(members.clone())));
    config.circuit_src_rate_limiters.insert(0, Box::new(MembersOnly(members.clone())));
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::relay::RateLimiter;

    #[test]
    fn only_verified_members_pass_the_gate() {
        let members = PeerSet::default();
        let (member, stranger) = (PeerId::random(), PeerId::random());
        let mut gate = MembersOnly(members.clone());
        let addr = Multiaddr::empty();
        assert!(!gate.try_next(member, &addr, Instant::now()));
        members.insert(member);
        assert!(gate.try_next(member, &addr, Instant::now()));
        assert!(!gate.try_next(stranger, &addr, Instant::now()));
        members.remove(&member);
        assert!(!gate.try_next(member, &addr, Instant::now()));
    }
}
