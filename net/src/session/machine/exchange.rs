//! Exchange phase: `Summary` (hash of heads per document), `Want`, `NoChange`, `Ahead`,
//! `Status`.

use super::{Facts, Machine, Out};
use crate::digest;
use crate::session::End;
use crate::wire::{DocHash, Msg};
use partage::membership::Revocation;
use partage::{MemberId, NeighbourhoodId};
use std::collections::{HashMap, HashSet};

impl Machine {
    pub(super) fn queue_summary(&mut self, ns: NeighbourhoodId, facts: &dyn Facts) -> Result<(), End> {
        let Some((summaries, mine)) = self.my_summaries(&ns, facts)? else { return Ok(()) };
        let revocations = match facts.revocations(&ns) {
            Ok(r) => r,
            Err(e) => return self.node_failure(e),
        };
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        st.exchange_wanted = false;
        st.last_summary = st.peer_digest.map(|p| (mine, p));
        st.status_since_summary = false;
        let docs = summaries
            .iter()
            .take(crate::wire::MAX_DOCS)
            .map(|d| DocHash { owner: d.owner, heads: digest::heads_hash(&d.heads) })
            .collect();
        let revocations = revocations.into_iter().take(crate::wire::MAX_REVOCATIONS).collect();
        self.outbox.push_back(Out::Msg(Msg::Summary { ns, docs, revocations }));
        self.begin_round();
        Ok(())
    }

    pub(super) fn on_summary(
        &mut self,
        ns: NeighbourhoodId,
        docs: Vec<DocHash>,
        revocations: Vec<Revocation>,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        if !self.require_verified(&ns, "summary")? {
            return Ok(());
        }
        self.begin_round();
        if !revocations.is_empty() {
            let fresh = match facts.apply_revocations(&ns, &revocations) {
                Ok(n) => n,
                Err(e) => return self.node_failure(e),
            };
            if fresh > 0 {
                self.mine.remove(&ns);
                self.reverify(ns, facts)?;
                if !self.shared.get(&ns).is_some_and(|st| st.verified()) {
                    return Ok(());
                }
            }
        }
        let Some((summaries, mine)) = self.my_summaries(&ns, facts)? else { return Ok(()) };
        let my_heads: HashMap<MemberId, Vec<[u8; 32]>> =
            summaries.iter().map(|d| (d.owner, d.heads.clone())).collect();
        let mut revoked = HashSet::new();
        for owner in docs.iter().map(|d| d.owner).filter(|o| !my_heads.contains_key(o)) {
            match facts.is_revoked(&ns, &owner) {
                Ok(true) => {
                    revoked.insert(owner);
                }
                Ok(false) => {}
                Err(e) => return self.node_failure(e),
            }
        }
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        let listed: HashSet<MemberId> = docs.iter().map(|d| d.owner).collect();
        if let Some(known) = &mut st.known {
            known.retain(|owner, _| listed.contains(owner));
        }
        let mut wants = Vec::new();
        for d in &docs {
            let have = match my_heads.get(&d.owner) {
                Some(h) if digest::heads_hash(h) == d.heads => {
                    st.peer_has_exactly(d.owner, h.clone());
                    continue;
                }
                Some(h) => h.clone(),
                None if revoked.contains(&d.owner) => continue,
                None => Vec::new(),
            };
            if st.wants.insert(d.owner) {
                wants.push(Msg::Want { ns, owner: d.owner, heads: have });
            }
        }
        if st.known.is_none() {
            st.known = Some(HashMap::new());
        }
        let answer_with_summary = st.peer_digest.map(|p| (mine, p)) != st.last_summary;
        let done = st.wants.is_empty();
        if answer_with_summary {
            st.exchange_wanted = true;
        }
        self.outbox.extend(wants.into_iter().map(Out::Msg));
        if answer_with_summary {
            self.advance(ns, facts)?;
        }
        if done {
            self.queue_status(ns, false, facts)?;
        }
        Ok(())
    }

    pub(super) fn on_want(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        heads: Vec<[u8; 32]>,
    ) -> Result<(), End> {
        if !self.require_verified(&ns, "request")? {
            return Ok(());
        }
        if heads.is_empty() {
            // A whole document costs a rebuild: at most one per document I hold, and some slack,
            // per window.
            let docs = self.mine.get(&ns).map_or(crate::wire::MAX_DOCS, |(d, _)| d.len());
            let max = u32::try_from(docs).unwrap_or(u32::MAX).saturating_add(super::limits::FULL_WANTS_SLACK);
            if !self.full_wants.allow(max, self.now) {
                return Err(End::Misbehaved(
                    "asked for whole documents faster than the protocol allows".into(),
                ));
            }
        }
        self.begin_round();
        if let Some(st) = self.shared.get_mut(&ns) {
            st.peer_has_exactly(owner, heads.clone());
        }
        let queued = self.outbox.iter_mut().find_map(|o| match o {
            Out::Answer { ns: n, owner: w, have } if *n == ns && *w == owner => Some(have),
            _ => None,
        });
        match queued {
            Some(have) => *have = heads,
            None => self.outbox.push_back(Out::Answer { ns, owner, have: heads }),
        }
        Ok(())
    }

    pub(super) fn on_no_change(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        if !self.require_verified(&ns, "reply")? {
            return Ok(());
        }
        self.answered(ns, owner, facts)
    }

    /// The peer lacks some of the heads I asked with. If I have all of its heads, it has
    /// nothing new for me; otherwise (diverged) ask again from the heads of its that I know.
    pub(super) fn on_ahead(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        heads: Vec<[u8; 32]>,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        if !self.require_verified(&ns, "reply")? {
            return Ok(());
        }
        if !self.shared.get(&ns).is_some_and(|st| st.wants.contains(&owner)) {
            return Ok(());
        }
        let unknown = match facts.unknown_changes(&ns, &owner, &heads) {
            Ok(u) => u,
            Err(e) => return self.node_failure(e),
        };
        if unknown.is_empty() {
            if let Some(st) = self.shared.get_mut(&ns) {
                st.peer_has_exactly(owner, heads);
            }
            return self.answered(ns, owner, facts);
        }
        let common: Vec<[u8; 32]> = heads.into_iter().filter(|h| !unknown.contains(h)).collect();
        self.outbox.push_back(Out::Msg(Msg::Want { ns, owner, heads: common }));
        Ok(())
    }

    /// One of my wants was answered; once all are, the peer learns my digest.
    pub(super) fn answered(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if st.wants.remove(&owner) && st.wants.is_empty() {
            // Every answer is in: one fsync for all of them, before telling the peer my digest.
            if let Err(e) = facts.flush() {
                return self.node_failure(e);
            }
            self.queue_status(ns, false, facts)?;
        }
        Ok(())
    }

    pub(super) fn queue_status(
        &mut self,
        ns: NeighbourhoodId,
        ack: bool,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        let Some(digest) = self.my_digest(&ns, facts)? else { return Ok(()) };
        self.outbox.push_back(Out::Msg(Msg::Status { ns, digest, ack }));
        Ok(())
    }

    pub(super) fn on_status(
        &mut self,
        ns: NeighbourhoodId,
        digest: [u8; 32],
        ack: bool,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        st.peer_digest = Some(digest);
        if ack {
            st.in_flight = st.in_flight.saturating_sub(1);
        } else {
            st.status_since_summary = true;
        }
        let pushing = self.outbox.iter().any(|o| matches!(o, Out::Push { ns: n, .. } if *n == ns));
        if !st.verified() || st.in_flight > 0 || !st.wants.is_empty() || pushing {
            return Ok(());
        }
        let Some((summaries, mine)) = self.my_summaries(&ns, facts)? else { return Ok(()) };
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if mine == digest {
            st.known = Some(summaries.iter().map(|d| (d.owner, d.heads.clone())).collect());
        } else if st.last_summary != Some((mine, digest)) {
            st.exchange_wanted = true;
            self.begin_round();
            self.advance(ns, facts)?;
        }
        Ok(())
    }
}
