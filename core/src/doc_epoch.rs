//! Epochs of a member document: the owner rebases their document onto a fresh history that holds
//! only what it shows now (removed items, old titles and descriptions are gone), numbered one
//! more than the last. Replicas adopt a higher epoch in place of what they hold, refuse a lower
//! one, and merge within the same epoch. An epoch can also mark that the owner left the
//! neighbourhood or erased what they published (see `node/epochs.rs`).
//!
//! Layout: `epoch: { n, departure }` at the root, written in the rebased document's first and
//! only change. Documents without it are epoch 0.

use crate::doc::{MemberDoc, am_err, get_scalar};
use crate::error::Result;
use crate::ids::DeviceId;
use automerge::hydrate;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Change, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, ValueRef};

const EPOCH: &str = "epoch";
/// Deepest map [`MemberDoc::visible_ops`] walks into (a member document has four levels).
const MAX_WALK_DEPTH: usize = 8;
/// Loan record fields written by people (messages, notes): not kept for a departed owner.
const LOAN_TEXTS: &[&str] = &["message", "answer_message", "withdraw_reason", "condition_note"];

/// Why an epoch was made, beyond forgetting history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Departure {
    /// Still a member: the document shows what it showed before.
    #[default]
    Stays,
    /// Left: profile kept, items gone, loans kept without their texts (for the counterparty).
    Left,
    /// Erased: as `Left`, and the profile (name) gone too.
    Erased,
}

impl Departure {
    /// Stored code (see `store::DEPARTED`); `Stays` is never stored.
    pub fn code(self) -> u8 {
        match self {
            Departure::Stays => 0,
            Departure::Left => 1,
            Departure::Erased => 2,
        }
    }

    /// The departure of a stored code; `Stays` for any code but 1 and 2.
    pub fn from_code(code: u8) -> Departure {
        match code {
            1 => Departure::Left,
            2 => Departure::Erased,
            _ => Departure::Stays,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Departure::Stays => "stays",
            Departure::Left => "left",
            Departure::Erased => "erased",
        }
    }

    fn parse(s: &str) -> Departure {
        match s {
            "left" => Departure::Left,
            "erased" => Departure::Erased,
            _ => Departure::Stays,
        }
    }
}

/// A document's epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Epoch {
    /// The epoch's number: 0 for a document never rebased, one more with each new epoch.
    pub number: u64,
    /// Whether the owner left or erased their data with this epoch.
    pub departure: Departure,
}

/// The epoch `doc` declares (0 when it declares none).
pub fn epoch_of(doc: &AutoCommit) -> Epoch {
    let Ok(Some((Value::Object(ObjType::Map), obj))) = doc.get(ROOT, EPOCH) else {
        return Epoch::default();
    };
    let number = match get_scalar(doc, &obj, "n") {
        Some(ScalarValue::Uint(n)) => n,
        _ => 0,
    };
    let departure = match get_scalar(doc, &obj, "departure") {
        Some(ScalarValue::Str(s)) => Departure::parse(&s),
        _ => Departure::Stays,
    };
    Epoch { number, departure }
}

/// The actor a device writes with in an epoch: the device id, and after epoch 0 the epoch
/// number, so that a device's sequence numbers never repeat across epochs.
pub(crate) fn actor(device: DeviceId, epoch: u64) -> ActorId {
    if epoch == 0 {
        return ActorId::from(device.0.as_slice());
    }
    ActorId::from([device.0.as_slice(), &epoch.to_be_bytes()].concat())
}

impl MemberDoc {
    /// The epoch this document declares.
    pub fn epoch(&self) -> Epoch {
        epoch_of(&self.doc)
    }

    /// Changes this device made in the current epoch (its actor is new in each epoch, so its
    /// last change's sequence number counts them).
    pub fn changes_in_epoch(&mut self) -> u64 {
        self.doc.get_last_local_change().map_or(0, |c| c.seq())
    }

    /// Operations that make what the document shows now: one per visible map entry, nested
    /// maps counted inside, a list or text by its length. About what a rebase keeps.
    pub fn visible_ops(&self) -> u64 {
        fn walk(doc: &AutoCommit, obj: &ObjId, depth: usize) -> u64 {
            let mut n: u64 = 0;
            for entry in doc.map_range(obj, ..) {
                n = n.saturating_add(1);
                let inner = match entry.value {
                    ValueRef::Object(ObjType::Map | ObjType::Table) if depth < MAX_WALK_DEPTH => {
                        walk(doc, &entry.id(), depth + 1)
                    }
                    ValueRef::Object(ObjType::List | ObjType::Text) => doc.length(entry.id()) as u64,
                    _ => 0,
                };
                n = n.saturating_add(inner);
            }
            n
        }
        walk(&self.doc, &ROOT, 0)
    }

    /// Whether the history this document carries (its operations that no longer show) has
    /// grown to at least `floor` and at least what it shows. Free until the document holds
    /// `look_at` operations; then it walks the document (O(its size)) and, if not yet, sets when
    /// to look again: not before the history could have grown enough, and not before a quarter
    /// of the threshold more, so that walks cost O(1) per operation over time.
    pub fn history_outgrew(&mut self, floor: u64) -> bool {
        let total = self.doc.stats().num_ops;
        if total < self.look_at {
            return false;
        }
        let visible = self.visible_ops();
        let history = total.saturating_sub(visible);
        let threshold = floor.max(visible);
        // Looked at again only after as much again, whatever the answer: a rebase that failed
        // (or is not this device's to make) is not tried at every change.
        let wait = if history >= threshold { threshold } else { (threshold - history).max(threshold / 4) };
        self.look_at = total.saturating_add(wait.max(1));
        history >= threshold
    }

    /// A new document, next epoch, written by `device`, holding what this one shows now (less,
    /// for a departure), in one change.
    pub fn rebased(&self, device: DeviceId, departure: Departure) -> Result<(MemberDoc, Change)> {
        let number = self.epoch().number.saturating_add(1);
        let hydrate::Value::Map(root) = self.doc.hydrate(ROOT, None).map_err(am_err)? else {
            return Err(crate::Error::Corrupt("a document root that is not a map".into()));
        };
        let mut fresh = AutoCommit::new().with_actor(actor(device, number));
        for (key, entry) in root.iter() {
            let mut value = entry.value.clone();
            match (key.as_str(), departure) {
                (EPOCH, _) => continue,
                ("items", Departure::Left | Departure::Erased) | ("profile", Departure::Erased) => {
                    value = hydrate::Value::map();
                }
                (
                    crate::loan::doc::BORROWING | crate::loan::doc::LENDING,
                    Departure::Left | Departure::Erased,
                ) => {
                    strip_texts(&mut value);
                }
                _ => {}
            }
            match &value {
                hydrate::Value::Scalar(s) => fresh.put(ROOT, key.as_str(), s.clone()).map(|_| ()),
                object => fresh.batch_create_object(ROOT, key.as_str(), object, false).map(|_| ()),
            }
            .map_err(am_err)?;
        }
        let obj = fresh.put_object(ROOT, EPOCH, ObjType::Map).map_err(am_err)?;
        fresh.put(&obj, "n", ScalarValue::Uint(number)).map_err(am_err)?;
        fresh.put(&obj, "departure", departure.as_str()).map_err(am_err)?;
        let mut doc = MemberDoc::from_automerge(fresh);
        let change = doc
            .commit()?
            .ok_or_else(|| crate::Error::Corrupt("rebasing a document produced no change".into()))?;
        Ok((doc, change))
    }
}

/// Removes the people-written texts from every loan record of a `borrowing`/`lending` map.
fn strip_texts(section: &mut hydrate::Value) {
    let hydrate::Value::Map(records) = section else { return };
    for record in records.values_mut() {
        if let hydrate::Value::Map(fields) = &mut record.value {
            for text in LOAN_TEXTS {
                fields.remove(*text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, MemberId, NeighbourhoodId};
    use crate::model::{Item, ItemDraft};

    #[test]
    fn a_rebased_document_shows_the_same_and_forgets_the_removed() {
        let device = DeviceId([1; 32]);
        let (ns, owner) = (NeighbourhoodId([2; 32]), MemberId([3; 32]));
        let (mut doc, _) = MemberDoc::create(device, "Ada").unwrap();
        let mut ids = Vec::new();
        for title in ["Perceuse", "Secret"] {
            let (id, nonce) = ItemId::new_bound(&ns, &owner).unwrap();
            let item: Item =
                ItemDraft { title: title.into(), ..Default::default() }.into_item(id, ns, owner, 1).unwrap();
            doc.create_item(&item, &nonce).unwrap();
            ids.push(id);
        }
        doc.remove_item(ids[1]).unwrap();
        let before = doc.save();
        assert!(before.windows(6).any(|w| w == b"Secret"), "the removed title is in the history");

        let (mut next, _) = doc.rebased(device, Departure::Stays).unwrap();
        assert_eq!(next.epoch(), Epoch { number: 1, departure: Departure::Stays });
        assert_eq!(next.name().as_deref(), Some("Ada"));
        let items = next.items(ns, owner);
        assert_eq!(items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["Perceuse"]);
        assert_eq!(items[0].id, ids[0], "ids (and their nonces) carried over");
        assert!(!next.save().windows(6).any(|w| w == b"Secret"));

        let (erased, _) = next.rebased(device, Departure::Erased).unwrap();
        assert_eq!(erased.epoch(), Epoch { number: 2, departure: Departure::Erased });
        assert_eq!(erased.name(), None);
        assert!(erased.items(ns, owner).is_empty());
    }
}
