//! Live updates: local (and imported) changes reach connected members at once.

use super::{Facts, Machine, Out};
use crate::session::End;
use partage::{Event, NeighbourhoodId};
use std::collections::BTreeSet;

/// What a batch of node events touched (the driver drains a burst of edits into one, so that
/// it becomes one push per document).
#[derive(Debug, Default)]
pub(crate) struct Touched {
    all: bool,
    neighbourhoods: BTreeSet<NeighbourhoodId>,
    membership: bool,
    revoked: BTreeSet<NeighbourhoodId>,
}

impl Touched {
    pub(crate) fn note(&mut self, e: &Event) {
        match e {
            Event::Network(_) => {}
            Event::ItemAdded(v) | Event::ItemUpdated(v) => {
                self.neighbourhoods.insert(v.item.neighbourhood);
            }
            Event::ItemRemoved { neighbourhood, .. } | Event::MemberUpdated { neighbourhood, .. } => {
                self.neighbourhoods.insert(*neighbourhood);
            }
            Event::MemberRevoked { neighbourhood, .. } => {
                self.neighbourhoods.insert(*neighbourhood);
                self.revoked.insert(*neighbourhood);
            }
            Event::NeighbourhoodJoined { .. } | Event::NeighbourhoodLeft { .. } => self.membership = true,
            // Missed events, and kinds this layer does not know (loans): look everywhere.
            _ => self.all = true,
        }
    }
}

impl Machine {
    pub(super) fn on_changes(&mut self, touched: Touched, facts: &dyn Facts) -> Result<(), End> {
        if touched.membership {
            self.refresh_tags(facts)?;
            self.mine.clear();
            self.begin_round();
            self.queue_hello(true, facts)?;
        }
        let targets: Vec<NeighbourhoodId> = if touched.all {
            self.shared.keys().copied().collect()
        } else {
            touched.neighbourhoods.into_iter().filter(|ns| self.shared.contains_key(ns)).collect()
        };
        for ns in &targets {
            self.mine.remove(ns);
        }
        for ns in touched.revoked {
            self.reverify(ns, facts)?;
        }
        if self.round.is_some() {
            // The round's exchange (or the catch-up after it) carries these changes.
            return Ok(());
        }
        for ns in targets {
            self.push_check(ns, facts)?;
        }
        Ok(())
    }

    /// Queues a push for every document of `ns` that has heads the peer is not known to have.
    pub(super) fn push_check(&mut self, ns: NeighbourhoodId, facts: &dyn Facts) -> Result<(), End> {
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if st.closed() {
            return Ok(());
        }
        if !st.verified() {
            if st.peer_digest.is_some() {
                // Proofs were skipped (digests matched): exchange them now, push after.
                st.push_pending = true;
                return self.send_proof(ns, facts);
            }
            return Ok(());
        }
        let Some((summaries, _)) = self.my_summaries(&ns, facts)? else { return Ok(()) };
        let Some(st) = self.shared.get(&ns) else { return Ok(()) };
        let Some(known) = &st.known else { return Ok(()) };
        let behind: Vec<_> = summaries
            .iter()
            .filter(|d| match known.get(&d.owner) {
                Some(has) => !d.heads.iter().all(|h| has.contains(h)),
                None => true,
            })
            .map(|d| d.owner)
            .collect();
        for owner in behind {
            let queued = self
                .outbox
                .iter()
                .any(|o| matches!(o, Out::Push { ns: n, owner: w } if *n == ns && *w == owner));
            if !queued {
                self.outbox.push_back(Out::Push { ns, owner });
            }
        }
        Ok(())
    }

    /// After a round: push what changed while it ran.
    pub(super) fn catch_up(&mut self, facts: &dyn Facts) -> Result<(), End> {
        let nss: Vec<NeighbourhoodId> = self.shared.keys().copied().collect();
        for ns in nss {
            if self.shared.get(&ns).is_some_and(|st| st.verified()) {
                self.push_check(ns, facts)?;
            }
        }
        Ok(())
    }
}
