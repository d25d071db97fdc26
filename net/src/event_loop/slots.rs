//! Connection slots kept for members. A connection whose peer has not proven membership of a
//! shared neighbourhood is *unverified*: it is closed when its deadline passes, and at most
//! `max_unverified` of them exist at once (`max_unverified_per_ip` from one remote address):
//! over a cap, the oldest is closed, peers already known as members last. A member proves
//! membership within milliseconds of connecting and leaves this list; strangers cannot hold a
//! slot for longer than the deadline, nor stop a newcomer from getting one.

use crate::peers::IpGroup;
use libp2p::PeerId;
use libp2p::swarm::ConnectionId;
use std::time::{Duration, Instant};

/// One unverified connection.
#[derive(Clone, Debug)]
pub(crate) struct Unverified {
    pub conn: ConnectionId,
    pub peer: PeerId,
    pub since: Instant,
    pub group: Option<IpGroup>,
    /// The peer proved membership before (remembered): closed last when over a cap.
    pub known: bool,
}

/// The unverified connections, oldest first, and their limits.
pub(crate) struct Slots {
    list: Vec<Unverified>,
    max: usize,
    max_per_group: usize,
    deadline: Duration,
    /// Connections closed so far for being over a cap or past the deadline.
    pub evicted: u64,
    pub expired: u64,
}

impl Slots {
    pub(crate) fn new(max: usize, max_per_group: usize, deadline: Duration) -> Self {
        Slots {
            list: Vec::new(),
            max: max.max(1),
            max_per_group: max_per_group.max(1),
            deadline,
            evicted: 0,
            expired: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, conn: ConnectionId) -> bool {
        self.list.iter().any(|u| u.conn == conn)
    }

    /// Adds a new unverified connection; returns those to close to stay within the caps (which
    /// may be the new one itself, when every other is a known member's).
    pub(crate) fn admit(&mut self, new: Unverified) -> Vec<Unverified> {
        let group = new.group;
        self.list.push(new);
        let mut closed = Vec::new();
        if let Some(group) = group {
            while self.list.iter().filter(|u| u.group == Some(group)).count() > self.max_per_group {
                let Some(out) = self.evict(|u| u.group == Some(group)) else { break };
                closed.push(out);
            }
        }
        while self.list.len() > self.max {
            let Some(out) = self.evict(|_| true) else { break };
            closed.push(out);
        }
        self.evicted += closed.len() as u64;
        closed
    }

    /// Removes the first connection to give up among those matching `among`: strangers before
    /// known members, oldest first.
    fn evict(&mut self, among: impl Fn(&Unverified) -> bool) -> Option<Unverified> {
        let (index, _) = self
            .list
            .iter()
            .enumerate()
            .filter(|(_, u)| among(u))
            .min_by_key(|(i, u)| (u.known, u.since, *i))?;
        Some(self.list.remove(index))
    }

    /// The peer proved membership: its connections are no longer limited.
    pub(crate) fn verified(&mut self, peer: &PeerId) {
        self.list.retain(|u| u.peer != *peer);
    }

    /// The connection is gone.
    pub(crate) fn closed(&mut self, conn: ConnectionId) {
        self.list.retain(|u| u.conn != conn);
    }

    /// Takes the peer's unverified connections (to close them).
    pub(crate) fn take_peer(&mut self, peer: &PeerId) -> Vec<Unverified> {
        let (out, keep) = std::mem::take(&mut self.list).into_iter().partition(|u| u.peer == *peer);
        self.list = keep;
        out
    }

    /// Takes the connections whose deadline has passed (to close them).
    pub(crate) fn take_expired(&mut self, now: Instant) -> Vec<Unverified> {
        let deadline = self.deadline;
        let (out, keep): (Vec<Unverified>, Vec<Unverified>) = std::mem::take(&mut self.list)
            .into_iter()
            .partition(|u| now.saturating_duration_since(u.since) >= deadline);
        self.list = keep;
        self.expired += out.len() as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::Multiaddr;

    fn conn(n: usize, ip: &str, since: Instant, known: bool) -> Unverified {
        let addr: Multiaddr = format!("/ip4/{ip}/tcp/4000").parse().unwrap();
        Unverified {
            conn: ConnectionId::new_unchecked(n),
            peer: PeerId::random(),
            since,
            group: IpGroup::of(&addr),
            known,
        }
    }

    fn ids(v: &[Unverified]) -> Vec<ConnectionId> {
        v.iter().map(|u| u.conn).collect()
    }

    #[test]
    fn over_the_cap_the_oldest_stranger_goes() {
        let t0 = Instant::now();
        let mut slots = Slots::new(3, 10, Duration::from_secs(10));
        for n in 0..3 {
            let ip = format!("10.0.0.{n}");
            assert!(slots.admit(conn(n, &ip, t0 + Duration::from_millis(n as u64), false)).is_empty());
        }
        let out = slots.admit(conn(3, "10.0.0.3", t0 + Duration::from_millis(3), false));
        assert_eq!(ids(&out), [ConnectionId::new_unchecked(0)]);
        assert_eq!(slots.len(), 3);
        assert_eq!(slots.evicted, 1);
    }

    #[test]
    fn known_members_go_last() {
        let t0 = Instant::now();
        let mut slots = Slots::new(2, 10, Duration::from_secs(10));
        slots.admit(conn(0, "10.0.0.1", t0, true));
        slots.admit(conn(1, "10.0.0.2", t0 + Duration::from_millis(1), false));
        let out = slots.admit(conn(2, "10.0.0.3", t0 + Duration::from_millis(2), false));
        assert_eq!(ids(&out), [ConnectionId::new_unchecked(1)]);
        // Only known members left besides the newcomer: the stranger newcomer itself goes.
        let mut slots = Slots::new(1, 10, Duration::from_secs(10));
        slots.admit(conn(0, "10.0.0.1", t0, true));
        let out = slots.admit(conn(1, "10.0.0.2", t0 + Duration::from_millis(1), false));
        assert_eq!(ids(&out), [ConnectionId::new_unchecked(1)]);
        assert!(slots.contains(ConnectionId::new_unchecked(0)));
    }

    #[test]
    fn one_address_only_evicts_its_own() {
        let t0 = Instant::now();
        let mut slots = Slots::new(10, 2, Duration::from_secs(10));
        slots.admit(conn(0, "10.0.0.9", t0, false));
        for n in 1..6 {
            let out = slots.admit(conn(n, "10.0.0.66", t0 + Duration::from_millis(n as u64), false));
            if n > 2 {
                assert_eq!(ids(&out), [ConnectionId::new_unchecked(n - 2)]);
            }
        }
        assert!(slots.contains(ConnectionId::new_unchecked(0)), "the other address keeps its slot");
        assert_eq!(slots.len(), 3);
    }

    #[test]
    fn loopback_is_not_one_address() {
        let t0 = Instant::now();
        let mut slots = Slots::new(4, 1, Duration::from_secs(10));
        for n in 0..4 {
            assert!(slots.admit(conn(n, "127.0.0.1", t0, false)).is_empty());
        }
        assert_eq!(slots.admit(conn(4, "127.0.0.1", t0, false)).len(), 1);
    }

    #[test]
    fn deadlines_and_verification() {
        let t0 = Instant::now();
        let mut slots = Slots::new(10, 10, Duration::from_secs(10));
        slots.admit(conn(0, "10.0.0.1", t0, false));
        slots.admit(conn(1, "10.0.0.2", t0 + Duration::from_secs(5), false));
        let member = conn(2, "10.0.0.3", t0, false);
        let peer = member.peer;
        slots.admit(member);
        slots.verified(&peer);
        assert!(slots.take_expired(t0 + Duration::from_secs(9)).is_empty());
        assert_eq!(ids(&slots.take_expired(t0 + Duration::from_secs(10))), [ConnectionId::new_unchecked(0)]);
        assert_eq!(slots.len(), 1);
        assert_eq!(slots.expired, 1);
    }
}
