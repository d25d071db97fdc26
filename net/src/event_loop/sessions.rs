//! Starting sync sessions (the peer with the smaller id opens the one stream per peer) and
//! acting on what they report. A session that verifies the peer frees its connections from the
//! unverified limits (see `slots`); one that ends without doing so closes them.

use super::EventLoop;
use crate::peers::{SessionSlot, with_peer};
use crate::session::{self, End, Report, SessionParams};
use libp2p::{PeerId, Stream};
use partage::events::NetEvent;
use std::time::{Instant, SystemTime};
use tokio::sync::mpsc;

/// Fresh streams opened after one closed before the peer proved anything (see `on_report`).
const MAX_STREAM_RETRIES: u8 = 5;

impl EventLoop {
    /// Opens the sync stream if this side is the one that opens it and none is open or opening.
    pub(super) fn maybe_open_session(&mut self, peer: PeerId) {
        if self.paused
            || self.local >= peer
            || self.is_banned(&peer)
            || crate::identity::device_of(&peer).is_none()
        {
            return;
        }
        let Some(entry) = self.peers.get_mut(&peer) else { return };
        if entry.connections == 0
            || entry.session.is_some()
            || entry.opening
            || entry.speaks_partage == Some(false)
        {
            return;
        }
        entry.opening = true;
        let mut control = self.control.clone();
        let opened = self.opened_tx.clone();
        self.tasks.spawn(async move {
            let result = control.open_stream(peer, crate::protocol()).await.map_err(|e| e.to_string());
            let _ = opened.send((peer, result)).await;
        });
    }

    /// Connected peers without a session (one ended, or opening failed): try again.
    pub(super) fn reopen_sessions(&mut self) {
        let peers: Vec<PeerId> = self.peers.keys().copied().collect();
        for peer in peers {
            self.maybe_open_session(peer);
        }
    }

    pub(super) fn on_opened(&mut self, peer: PeerId, opened: Result<Stream, String>) {
        if let Some(entry) = self.peers.get_mut(&peer) {
            entry.opening = false;
        }
        match opened {
            Ok(stream) => self.start_session(peer, stream),
            Err(reason) => {
                self.note_dial_error(format!("{peer}: no sync session: {reason}"));
                if reason.contains("does not support")
                    && let Some(entry) = self.peers.get_mut(&peer)
                {
                    // Not a Partage peer (or not yet: identify says when it is). It is not
                    // disconnected here, in the middle of identify or ping: like every peer that
                    // proves nothing, it is closed at the unverified deadline.
                    entry.speaks_partage = Some(false);
                }
                self.forget_if_unknown(&peer);
            }
        }
    }

    pub(super) fn on_incoming_stream(&mut self, peer: PeerId, stream: Stream) {
        if self.paused || self.is_banned(&peer) {
            crate::trace!("{} drops a stream from {peer} (paused or banned)", self.local);
            return;
        }
        crate::trace!("{} accepts a stream from {peer}", self.local);
        self.start_session(peer, stream);
    }

    /// Runs a session on `stream`, replacing any earlier one with this peer.
    fn start_session(&mut self, peer: PeerId, stream: Stream) {
        // Until it proves a device in the session, a peer is known by its transport key.
        let Some(transport) = crate::identity::device_of(&peer) else { return };
        self.next_session += 1;
        let id = self.next_session;
        let (tx, rx) = mpsc::channel(session::COMMAND_QUEUE);
        let params = SessionParams {
            node: self.node.clone(),
            local: self.local,
            peer,
            transport,
            id,
            max_frame: self.config.max_message_bytes,
            round_idle: self.config.round_idle_timeout,
            budget: self.budget.clone(),
            prepared_ahead: self.prepared_ahead.clone(),
            reports: self.reports_tx.clone(),
            blocks: self.member_blocks.clone(),
        };
        let entry = self.peers.entry(peer).or_default();
        // Dropping the old slot's sender ends the old session.
        entry.session = Some(SessionSlot { id, commands: tx });
        entry.verified = false;
        entry.speaks_partage = Some(true);
        entry.syncing = true;
        self.dirty = true;
        self.tasks.spawn(session::run(params, stream, rx));
    }

    pub(super) fn on_report(&mut self, report: Report) {
        self.dirty = true;
        match report {
            Report::Verified { peer, session, member, device, neighbourhood } => {
                let Some(entry) = self.current(&peer, session) else { return };
                entry.member = Some(member);
                entry.device = Some(device);
                entry.neighbourhoods.insert(neighbourhood);
                entry.verified = true;
                entry.closed_unproven = 0;
                self.slots.verified(&peer);
                self.blob_access.grant(peer, neighbourhood);
                // It may use this node's relay now; a reservation on it waits for the round's end
                // (by then it has verified this device too, or it would refuse).
                self.members.insert(peer);
                self.home_node_proven(peer);
                // Remembered (a durable write) once a round completes: a member minting device
                // identities that never finish one costs no write.
            }
            Report::Syncing { peer, session } => {
                if let Some(entry) = self.current(&peer, session) {
                    entry.syncing = true;
                }
            }
            Report::Synced { peer, session, outcome } => {
                let Some(entry) = self.current(&peer, session) else { return };
                entry.syncing = false;
                entry.last_synced = Some(SystemTime::now());
                entry.last_outcome = Some(outcome);
                // Two members already in sync exchange no proofs (equal digests end the round
                // there), so a member this device verified before counts as verified once its
                // session has run a round. (Strangers are never remembered.)
                let known = entry.remembered && !entry.verified;
                if known {
                    entry.verified = true;
                }
                let member = entry.member.is_some();
                let verified = entry.verified;
                if known {
                    self.slots.verified(&peer);
                }
                if verified {
                    // A member (proven now, or remembered): it may ask for photo blobs.
                    self.blob_access.synced(peer);
                    self.member_verified(peer);
                }
                if member {
                    self.remember(peer, true);
                }
            }
            Report::Linked { peer, device } => {
                self.slots.verified(&peer);
                self.emit(NetEvent::DeviceLinked { device });
            }
            Report::Ended { peer, session, end } => {
                let opener = self.local < peer;
                if self.current(&peer, session).is_some() {
                    self.blob_access.revoke(&peer);
                }
                let Some(entry) = self.current(&peer, session) else { return };
                entry.session = None;
                entry.syncing = false;
                let verified = std::mem::take(&mut entry.verified);
                self.members.remove(&peer);
                self.probe_servers.remove(&peer);
                let Some(entry) = self.peers.get_mut(&peer) else { return };
                let member = entry.member;
                // A stream this side opened that merely closed may have been dropped by the
                // other side's libp2p under load, before anyone read it (libp2p-stream hands
                // inbound streams over through a channel of one: many peers connecting at once
                // lose some): to a peer this device dialed, the connection stays for a fresh
                // stream, opened at the next housekeeping, a few times at most within the
                // unverified deadline (a stranger that came in is not kept). Otherwise a session that proved nothing does not leave its
                // connections lingering.
                let retry = !verified
                    && matches!(end, End::Closed)
                    && opener
                    && entry.dialed
                    && entry.closed_unproven < MAX_STREAM_RETRIES;
                if retry {
                    entry.closed_unproven += 1;
                } else if !verified && matches!(end, End::Failed(_)) {
                    // It answered and was refused (or refused us): not a lost stream, so no
                    // redial either (`redial_unproven`).
                    entry.closed_unproven = MAX_STREAM_RETRIES;
                }
                if !retry && !verified {
                    for conn in self.slots.take_peer(&peer) {
                        self.swarm.close_connection(conn.conn);
                    }
                }
                let device = self.device(&peer);
                match (end, device) {
                    (End::Misbehaved(reason), Some(device)) => {
                        self.emit(NetEvent::PeerMisbehaved { peer: device, reason });
                        if let Some(member) = member {
                            self.member_blocks.block(member, Instant::now() + self.config.ban_duration);
                        }
                        self.ban(peer);
                    }
                    (End::Misbehaved(_), None) => self.ban(peer),
                    (End::Failed(reason), Some(device)) => {
                        self.emit(NetEvent::SyncFailed { peer: device, reason });
                    }
                    (End::Failed(_), None) | (End::Closed, _) => {}
                }
            }
        }
    }

    /// Dials again a peer this device dialed whose last connection closed before it proved
    /// anything, a few times at most (`MAX_STREAM_RETRIES`, shared with the opener's retries);
    /// `true` if a dial started. The first stream may have been dropped on this side (see
    /// `on_report`): when the other side is the one that opens the stream but did not dial, it
    /// closes the connection instead of retrying, and only the dialer can try again. Not for a
    /// peer whose session failed, one that is not a Partage peer, a member (redialed as such
    /// once remembered) or one this device did not dial.
    pub(super) fn redial_unproven(&mut self, peer: PeerId) -> bool {
        if self.paused || self.stopping || self.is_banned(&peer) {
            return false;
        }
        let Some(entry) = self.peers.get_mut(&peer) else { return false };
        if !entry.dialed
            || entry.member.is_some()
            || entry.remembered
            || entry.speaks_partage == Some(false)
            || entry.closed_unproven >= MAX_STREAM_RETRIES
            || entry.addrs.is_empty()
        {
            return false;
        }
        entry.closed_unproven += 1;
        let addrs = entry.addrs.iter().map(|a| with_peer(a, &peer)).collect();
        crate::trace!("{} redials {peer}: its connection closed before it proved anything", self.local);
        self.dial_peer(peer, addrs)
    }

    /// The peer's entry, if `session` is its current session (reports of replaced ones are
    /// ignored).
    fn current(&mut self, peer: &PeerId, session: u64) -> Option<&mut crate::peers::PeerEntry> {
        self.peers.get_mut(peer).filter(|e| e.session.as_ref().is_some_and(|s| s.id == session))
    }

    /// Blocks a misbehaving peer (closing its connections) for the configured time.
    fn ban(&mut self, peer: PeerId) {
        let until = Instant::now() + self.config.ban_duration;
        self.block(peer, until);
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    /// Stores the peer's addresses so a restarted node redials it.
    pub(super) fn remember(&mut self, peer: PeerId, synced: bool) {
        let Some(entry) = self.peers.get_mut(&peer) else { return };
        // Remembered by the device it proved to be (its transport key is one network's).
        let Some(device) = entry.device else { return };
        entry.remembered = true;
        let addrs: Vec<String> = entry.addrs.iter().map(|a| with_peer(a, &peer).to_string()).collect();
        let node = self.node.clone();
        let write = move || {
            if let Err(e) = node.remember_peer(&device, &addrs, synced) {
                node.report_network(NetEvent::SyncFailed {
                    peer: device,
                    reason: format!("could not remember the peer's address: {e}"),
                });
            }
        };
        if self.stopping {
            write();
        } else {
            // A small durable write: off the loop, waited for only at shutdown.
            self.writes.spawn_blocking(write);
        }
    }
}
