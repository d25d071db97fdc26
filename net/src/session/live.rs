//! Live updates: local (and imported) changes reach connected members at once.

use super::{End, Out, Session};
use partage::events::Subscription;
use partage::{Event, NeighbourhoodId};
use std::collections::BTreeSet;

/// Events drained at once before acting (a burst of edits becomes one push per document).
const MAX_DRAIN: usize = 4096;

/// What a batch of events touched.
#[derive(Default)]
struct Touched {
    all: bool,
    neighbourhoods: BTreeSet<NeighbourhoodId>,
    membership: bool,
    revoked: BTreeSet<NeighbourhoodId>,
}

impl Touched {
    fn note(&mut self, e: &Event) {
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

impl Session {
    pub(super) async fn on_events(&mut self, first: Event, events: &mut Subscription) -> Result<(), End> {
        let mut touched = Touched::default();
        touched.note(&first);
        for _ in 0..MAX_DRAIN {
            match events.try_recv() {
                Some(e) => touched.note(&e),
                None => break,
            }
        }
        if touched.membership {
            self.refresh_tags().await?;
            self.mine.clear();
            self.begin_round();
            self.queue_hello(true).await?;
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
            self.reverify(ns).await?;
        }
        if self.round.is_some() {
            // The round's exchange (or the catch-up after it) carries these changes.
            return Ok(());
        }
        for ns in targets {
            self.push_check(ns).await?;
        }
        Ok(())
    }

    /// Queues a push for every document of `ns` that has heads the peer is not known to have.
    pub(super) async fn push_check(&mut self, ns: NeighbourhoodId) -> Result<(), End> {
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if st.closed() {
            return Ok(());
        }
        if !st.verified() {
            if st.peer_digest.is_some() {
                // Proofs were skipped (digests matched): exchange them now, push after.
                st.push_pending = true;
                return self.send_proof(ns).await;
            }
            return Ok(());
        }
        let Some((summaries, _)) = self.my_summaries(&ns).await? else { return Ok(()) };
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
    pub(super) async fn catch_up(&mut self) -> Result<(), End> {
        let nss: Vec<NeighbourhoodId> = self.shared.keys().copied().collect();
        for ns in nss {
            if self.shared.get(&ns).is_some_and(|st| st.verified()) {
                self.push_check(ns).await?;
            }
        }
        Ok(())
    }
}
