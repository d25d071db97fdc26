//! Commands from the handle: dialing, sync rounds, pause and resume.

use super::{EventLoop, MAX_REDIALS};
use crate::command::Command;
use crate::error::NetError;
use crate::peers::{MAX_DIAL_ERRORS, peer_in};
use crate::session::SessionCmd;
use libp2p::Multiaddr;
use libp2p::swarm::DialError;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
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
                let started = if self.paused { 0 } else { self.dial_known() };
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
    fn dial_all(&mut self, addrs: &[Multiaddr], remember: bool) -> Result<usize, NetError> {
        let mut started = 0;
        let mut first_error = None;
        for addr in addrs {
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
                        self.peers.entry(peer).or_default().add_addr(addr.clone())
                    }
                    Some(_) => {}
                    None => {
                        if !self.loose_addrs.contains(addr) {
                            self.loose_addrs.push(addr.clone());
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
        self.dial_errors.push_back(message);
        while self.dial_errors.len() > MAX_DIAL_ERRORS {
            self.dial_errors.pop_front();
        }
        self.dirty = true;
    }

    /// Dials remembered peers that are not connected, and the loose addresses.
    pub(super) fn dial_known(&mut self) -> usize {
        self.last_redial = Instant::now();
        let mut targets: Vec<Multiaddr> = Vec::new();
        for (peer, entry) in &self.peers {
            if entry.connections == 0 && !self.is_banned(peer) {
                targets.extend(entry.addrs.iter().map(|a| crate::peers::with_peer(a, peer)));
            }
        }
        targets.extend(self.loose_addrs.iter().cloned());
        let mut started = 0;
        for addr in targets.into_iter().take(MAX_REDIALS * crate::peers::MAX_ADDRS) {
            if started >= MAX_REDIALS {
                break;
            }
            if let Ok(true) = self.dial(&addr) {
                started += 1;
            }
        }
        started
    }

    fn pause(&mut self) {
        if self.paused {
            return;
        }
        self.paused = true;
        crate::trace!("{} pause", self.local);
        self.resume_addrs = self.listeners.iter().map(|(_, a)| a.clone()).collect();
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
        self.relisten()?;
        self.dial_known();
        Ok(())
    }
}
