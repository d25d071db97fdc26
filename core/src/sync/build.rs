//! Building the bundles a peer lacks, with the rules the network session follows, so the
//! offline files and the network cannot drift apart.

use super::plan;
use crate::error::Result;
use crate::ids::{MemberId, NeighbourhoodId};
use crate::node::{DocBundle, DocPayload, DocSummary, Node};
use std::collections::HashSet;

/// What `owner`'s document beyond a peer's heads comes to.
enum Beyond {
    /// What the peer lacks: changes on top of the heads it has that I know, or the whole
    /// document when it has none.
    Bundle(Box<DocBundle>),
    /// The peer has everything I have.
    Nothing,
    /// The peer named heads, none of which I know: it is ahead of me, or we diverged.
    /// "Everything after what I know of yours" would be the whole document, maybe for nothing.
    Unknown,
}

impl Node {
    /// `owner`'s document in `ns` beyond `have` (the peer's heads), or `None` when there is
    /// nothing to send: the owner is not one whose document this device serves (unknown, or no
    /// longer standing here), the peer has everything, or none of the peer's heads is known
    /// here (it is ahead, or diverged: ask it for its side instead).
    pub fn bundle_beyond(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        have: &[[u8; 32]],
    ) -> Result<Option<DocBundle>> {
        if !self.serves(ns, owner)? {
            return Ok(None);
        }
        Ok(match self.beyond(ns, owner, have)? {
            Beyond::Bundle(b) => Some(*b),
            // The owner rebased (see `crate::doc_epoch`): a peer whose heads are all unknown
            // here most likely holds an older epoch, which no exchange of heads can bring
            // forward. The new epoch goes whole (the peer keeps it only if it is newer).
            Beyond::Unknown if self.epoch_number(ns, owner)? > 0 => Some(self.doc_bundle(ns, owner, &[])?),
            Beyond::Nothing | Beyond::Unknown => None,
        })
    }

    /// The documents a peer whose summary is `peer` lacks, for a one-way exchange (a file, a QR
    /// code): every document this device serves that the peer has at other heads.
    ///
    /// Unlike [`Node::bundle_beyond`], a document whose heads on the peer are all unknown here
    /// is sent whole: a file has no second round trip in which the peer could say which of my
    /// heads it knows, and without it two devices that diverged would never converge. The
    /// receiver skips what it already has.
    pub fn bundles_for(&self, ns: &NeighbourhoodId, peer: &[DocSummary]) -> Result<Vec<DocBundle>> {
        let mine = self.served_offline(ns)?;
        let mut out = Vec::new();
        for (owner, have) in plan::to_send(&mine, peer) {
            match self.beyond(ns, &owner, &have)? {
                Beyond::Bundle(b) => out.push(*b),
                Beyond::Nothing => {}
                Beyond::Unknown => out.push(self.doc_bundle(ns, &owner, &[])?),
            }
        }
        Ok(out)
    }

    /// `owner`'s document beyond `have`, trimmed to the heads this device knows.
    fn beyond(&self, ns: &NeighbourhoodId, owner: &MemberId, have: &[[u8; 32]]) -> Result<Beyond> {
        let mut base = have.to_vec();
        if !base.is_empty() {
            let unknown: HashSet<[u8; 32]> = self.unknown_changes(ns, owner, have)?.into_iter().collect();
            base.retain(|h| !unknown.contains(h));
            if base.is_empty() {
                return Ok(Beyond::Unknown);
            }
        }
        let bundle = self.doc_bundle(ns, owner, &base)?;
        if matches!(&bundle.payload, DocPayload::Changes(c) if c.is_empty()) {
            return Ok(Beyond::Nothing);
        }
        Ok(Beyond::Bundle(Box::new(bundle)))
    }
}
