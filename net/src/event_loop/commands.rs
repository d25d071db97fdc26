//! Commands from the handle: dialing, sync rounds, pause and resume.

use super::{EventLoop, FIRST_REDIAL, MAX_REDIALS};
use crate::command::Command;
use crate::error::NetError;
use crate::peers::{
    LooseAddr, MAX_BACKOFF_FACTOR, MAX_DIAL_ERRORS, MAX_LOOSE_ADDRS, MAX_LOOSE_PEERS, MAX_REDIAL_ATTEMPTS,
    Redial, peer_in, with_peer,
};
use crate::session::SessionCmd;
use libp2p::swarm::DialError;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId};
use std::time::Instant;
use tokio::sync::oneshot;

impl EventLoop {
    pub(super) fn on_command(&mut self, command: Command) {
        match command {
            Command::Dial { addrs, remember, reply } => {
                let result =
                    if self.paused { Err(NetError::Paused) } else { self.dial_all(&addrs, remember) };
                let _ = reply.send(result);
            }
            Command::DialKnown { reply } => {
                let started = if self.paused { 0 } else { self.dial_known(true) };
                let _ = reply.send(started);
            }
            Command::Sync { reply } => {
                let mut waits = Vec::new();
                for (peer, entry) in &self.peers {
                    let Some(slot) = &entry.session else { continue };
                    let (tx, rx) = oneshot::channel();
                    // A session whose queue is full is busy syncing already; it is skipped.
                    if slot.commands.try_send(SessionCmd::Sync(tx)).is_ok() {
                        waits.push((*peer, rx));
                    }
                }
                let _ = reply.send(waits);
            }
            Command::Pause { reply } => {
                self.pause();
                self.publish();
                let _ = reply.send(());
            }
            Command::Resume { reply } => {
                let result = if self.paused { self.resume() } else { Ok(()) };
                self.publish();
                let _ = reply.send(result);
            }
            // Handled by the loop itself.
            Command::Stop { reply } => {
                let _ = reply.send(());
            }
        }
    }

    /// Dials each address; with `remember`, addresses with a peer id are kept for redials.
    pub(super) fn dial_all(&mut self, addrs: &[Multiaddr], remember: bool) -> Result<usize, NetError> {
        let mut started = 0;
        let mut first_error = None;
        for addr in addrs {
            // Without the `quic` feature, a QUIC address is neither dialed nor kept for redials.
            if !cfg!(feature = "quic") && crate::behaviour::is_quic(addr) {
                first_error.get_or_insert(NetError::NoQuic { addr: addr.to_string() });
                continue;
            }
            match self.dial(addr) {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
            if remember {
                match peer_in(addr) {
                    Some(peer) if peer != self.local => {
                        if !self.peers.contains_key(&peer) && !self.make_room_for_loose_peer() {
                            self.note_dial_error(format!("{addr}: too many peers to keep for redials"));
                            continue;
                        }
                        self.peers.entry(peer).or_default().add_addr(addr.clone())
                    }
                    Some(_) => {}
                    None => {
                        if !self.loose_addrs.iter().any(|a| a.addr == *addr) {
                            // The oldest goes first beyond the cap.
                            if self.loose_addrs.len() >= MAX_LOOSE_ADDRS {
                                self.loose_addrs.remove(0);
                            }
                            self.loose_addrs
                                .push(LooseAddr { addr: addr.clone(), redial: Default::default() });
                        }
                    }
                }
            }
        }
        self.dirty = true;
        match first_error {
            Some(e) if started == 0 => Err(e),
            _ => Ok(started),
        }
    }

    /// Starts a dial; `Ok(false)` when there is nothing to do (self, connected, already dialing).
    pub(super) fn dial(&mut self, addr: &Multiaddr) -> Result<bool, NetError> {
        let peer = peer_in(addr);
        if let Some(peer) = peer
            && (peer == self.local || self.swarm.is_connected(&peer) || self.is_banned(&peer))
        {
            return Ok(false);
        }
        if peer.is_none() && self.listen_addrs.contains(addr) {
            return Ok(false);
        }
        let opts = match peer {
            Some(peer) => DialOpts::peer_id(peer)
                .addresses(vec![addr.clone()])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build(),
            None => DialOpts::unknown_peer_id().address(addr.clone()).build(),
        };
        let id = opts.connection_id();
        match self.swarm.dial(opts) {
            Ok(()) => {
                self.pending_dials.insert(id);
                self.dirty = true;
                Ok(true)
            }
            Err(DialError::DialPeerConditionFalse(_)) => Ok(false),
            Err(e) => {
                let reason = e.to_string();
                self.note_dial_error(format!("{addr}: {reason}"));
                Err(NetError::Dial { addr: addr.to_string(), reason })
            }
        }
    }

    pub(super) fn note_dial_error(&mut self, message: String) {
        crate::trace!("{} dial error: {message}", self.local);
        self.dial_errors.push_back(message);
        while self.dial_errors.len() > MAX_DIAL_ERRORS {
            self.dial_errors.pop_front();
        }
        self.dirty = true;
    }

    /// Whether a peer the app gave (neither connected nor remembered) can be kept: beyond
    /// `MAX_LOOSE_PEERS` of them, the one redialed most is dropped to make room.
    fn make_room_for_loose_peer(&mut self) -> bool {
        let loose = |e: &crate::peers::PeerEntry| e.connections == 0 && !e.remembered && e.member.is_none();
        if self.peers.values().filter(|e| loose(e)).count() < MAX_LOOSE_PEERS {
            return true;
        }
        let victim = self
            .peers
            .iter()
            .filter(|(_, e)| loose(e) && e.session.is_none() && !e.opening)
            .max_by_key(|(_, e)| e.redial.attempts)
            .map(|(p, _)| *p);
        match victim {
            Some(p) => {
                self.peers.remove(&p);
                true
            }
            None => false,
        }
    }

    /// Dials the peers and loose addresses that are not connected and whose redial is due
    /// (`forced`: all of them, because the app asked: start, resume, `sync_now`), at most
    /// `MAX_REDIALS`.
    ///
    /// Remembered members are redialed after 1 s, then doubling up to `redial_interval`, for as
    /// long as they are away. Other targets (ticket and configured addresses, addresses the
    /// app gave) wait `redial_interval`, doubling up to `MAX_BACKOFF_FACTOR` times that, and
    /// are redialed automatically `MAX_REDIAL_ATTEMPTS` times at most; after that only when
    /// the app asks. Dials the app asks for are not counted.
    pub(super) fn dial_known(&mut self, forced: bool) -> usize {
        let now = Instant::now();
        let interval = self.config.redial_interval;
        let long = interval.saturating_mul(MAX_BACKOFF_FACTOR);
        let automatic =
            |r: &Redial, capped: bool| r.due(now) && (!capped || r.attempts < MAX_REDIAL_ATTEMPTS);
        let due: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(p, e)| {
                e.connections == 0
                    && !e.addrs.is_empty()
                    && !self.is_banned(p)
                    && (forced || automatic(&e.redial, !e.remembered))
            })
            .map(|(p, _)| *p)
            .collect();
        let mut started = 0;
        for peer in due {
            if started >= MAX_REDIALS {
                return started;
            }
            let Some(entry) = self.peers.get(&peer) else { continue };
            let addrs: Vec<Multiaddr> = entry.addrs.iter().map(|a| with_peer(a, &peer)).collect();
            let (first, max) =
                if entry.remembered { (FIRST_REDIAL.min(interval), interval) } else { (interval, long) };
            if self.dial_peer(peer, addrs) {
                started += 1;
                if let Some(entry) = self.peers.get_mut(&peer) {
                    if forced {
                        entry.redial.postpone(now, first);
                    } else {
                        entry.redial.attempted(now, first, max);
                    }
                }
            }
        }
        for i in 0..self.loose_addrs.len() {
            if started >= MAX_REDIALS {
                break;
            }
            let Some(loose) = self.loose_addrs.get(i) else { break };
            if !forced && !automatic(&loose.redial, true) {
                continue;
            }
            let addr = loose.addr.clone();
            // Nothing to do (its peer is connected, it is my own address): not an attempt. An
            // address that cannot even be dialed counts as one.
            let result = self.dial(&addr);
            if matches!(result, Ok(false)) {
                continue;
            }
            if let Some(loose) = self.loose_addrs.get_mut(i) {
                if forced {
                    loose.redial.postpone(now, interval);
                } else {
                    loose.redial.attempted(now, interval, long);
                }
            }
            if result.is_ok() {
                started += 1;
            }
        }
        started
    }

    /// Dials a peer at every address known for it; `false` if nothing started.
    pub(super) fn dial_peer(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) -> bool {
        if peer == self.local || self.swarm.is_connected(&peer) || self.is_banned(&peer) {
            return false;
        }
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        let id = opts.connection_id();
        match self.swarm.dial(opts) {
            Ok(()) => {
                self.pending_dials.insert(id);
                self.dirty = true;
                true
            }
            Err(DialError::DialPeerConditionFalse(_)) => false,
            Err(e) => {
                self.note_dial_error(format!("{peer}: {e}"));
                false
            }
        }
    }

    fn pause(&mut self) {
        if self.paused {
            return;
        }
        self.paused = true;
        crate::trace!("{} pause", self.local);
        self.resume_addrs = self.listeners.iter().map(|(_, a)| a.clone()).collect();
        self.drop_reservations();
        for (id, _) in self.listeners.drain(..) {
            self.swarm.remove_listener(id);
        }
        self.listen_addrs.clear();
        let connected: Vec<_> = self.swarm.connected_peers().copied().collect();
        for peer in connected {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        self.dirty = true;
    }

    fn resume(&mut self) -> Result<(), NetError> {
        self.paused = false;
        self.dirty = true;
        // A phone often resumes somewhere else: then a new swarm listens, with a new key.
        self.check_network();
        if self.moved {
            return Ok(());
        }
        self.relisten()?;
        self.dial_known(true);
        Ok(())
    }
}
