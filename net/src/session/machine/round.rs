//! Sync rounds: from a seen difference (or a request) until both sides agree, or nothing more
//! can move in this session.

use super::state::Round;
use super::{Action, Facts, Machine, SyncOutcome};
use crate::session::{End, Report};
use partage::NeighbourhoodId;
use partage::events::{NetEvent, SyncStats};

impl Machine {
    pub(super) fn begin_round(&mut self) {
        if self.round.is_none() {
            self.round = Some(Round { started: self.now, base: self.totals });
            self.send_report(Report::Syncing { peer: self.p.peer, session: self.p.id });
            self.report(NetEvent::SyncStarted { peer: self.who() });
        }
    }

    /// The app asked for a round: ask the peer for its current state.
    pub(super) fn request_round(&mut self, facts: &dyn Facts) -> Result<(), End> {
        self.begin_round();
        self.refresh_tags(facts)?;
        self.mine.clear();
        self.queue_hello(true, facts)
    }

    /// Ends the round once nothing is outstanding and every shared neighbourhood either
    /// matches the peer's digest or cannot get closer in this session.
    pub(super) fn check_round(&mut self, facts: &dyn Facts) -> Result<(), End> {
        if self.round.is_none() || self.hellos_expected > 0 || !self.outbox.is_empty() {
            return Ok(());
        }
        let mut converged = true;
        let nss: Vec<NeighbourhoodId> = self.shared.keys().copied().collect();
        for ns in nss {
            let Some(st) = self.shared.get(&ns) else { continue };
            if st.closed() {
                // Refused on either side: nothing more moves, and unless the digests already
                // matched, the two sides do not hold the same documents.
                let peer_digest = st.peer_digest;
                if peer_digest.is_none() || peer_digest != self.my_digest(&ns, facts)? {
                    converged = false;
                }
                continue;
            }
            if !st.wants.is_empty() || st.in_flight > 0 || st.exchange_wanted {
                return Ok(());
            }
            let (peer_digest, last, status) = (st.peer_digest, st.last_summary, st.status_since_summary);
            let Some(peer_digest) = peer_digest else { return Ok(()) };
            let Some(mine) = self.my_digest(&ns, facts)? else { continue };
            if mine != peer_digest {
                if last == Some((mine, peer_digest)) {
                    if status {
                        // Exchanged for exactly this state and still different: nothing more
                        // can move in this session (refused or revoked data).
                        converged = false;
                        continue;
                    }
                    return Ok(());
                }
                // Something changed since the last exchange: exchange again.
                if let Some(st) = self.shared.get_mut(&ns) {
                    st.exchange_wanted = true;
                }
                return self.advance(ns, facts);
            }
        }
        self.finish_round(converged, true);
        self.catch_up(facts)
    }

    /// Closes the round; `announce` publishes it (not when the session is ending anyway).
    /// Returns its outcome, which also goes to whoever waits on the round when announced.
    pub(super) fn finish_round(&mut self, converged: bool, announce: bool) -> Option<SyncOutcome> {
        let round = self.round.take()?;
        crate::trace!("{} -- {} round finished, converged={converged}", self.p.local, self.p.peer);
        let moved = self.totals.since(&round.base);
        let outcome = SyncOutcome {
            converged,
            docs_received: moved.docs_in,
            docs_sent: moved.docs_out,
            bytes_received: moved.bytes_in,
            bytes_sent: moved.bytes_out,
            messages_received: moved.messages_in,
            messages_sent: moved.messages_out,
            duration: self.now.saturating_duration_since(round.started),
        };
        if announce {
            // The event loop hears of it before whoever waits on the round (who may stop the
            // network at once): see `EventLoop::shutdown`.
            self.send_report(Report::Synced {
                peer: self.p.peer,
                session: self.p.id,
                outcome: outcome.clone(),
            });
            self.report(NetEvent::SyncFinished(SyncStats {
                peer: self.who(),
                docs_received: outcome.docs_received,
                docs_sent: outcome.docs_sent,
                bytes_received: outcome.bytes_received,
                bytes_sent: outcome.bytes_sent,
                duration: outcome.duration,
            }));
            self.actions.push(Action::RoundFinished(outcome.clone()));
        }
        Some(outcome)
    }
}
