//! Reading items out of a member document: one item's fields in one pass over its map.
//!
//! Lookups cost a seek through the document's operations each, and a full sync reads every item
//! of every incoming document: one `map_range` per item, not one `get` per field.

use crate::ids::{IdNonce, ItemId, MemberId, NeighbourhoodId};
use crate::model::{Category, Condition, Item};
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValueRef, ValueRef};

const ID_NONCE: &str = "id_nonce";

/// The fields of one item, as they are found.
#[derive(Default)]
struct ItemFields {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
    tags: Option<String>,
    condition: Option<String>,
    photos: Option<String>,
    deposit_cents: Option<u64>,
    max_loan_days: Option<u64>,
    created_at: Option<u64>,
    updated_at: Option<u64>,
    available: bool,
    nonce: Option<IdNonce>,
}

impl ItemFields {
    fn take(&mut self, key: &str, value: ValueRef<'_>) {
        let ValueRef::Scalar(value) = value else { return };
        let number = match &value {
            ScalarValueRef::Uint(n) => Some(*n),
            ScalarValueRef::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        };
        let text = |slot: &mut Option<String>| {
            if let ScalarValueRef::Str(t) = &value {
                *slot = Some(t.to_string());
            }
        };
        match key {
            ID_NONCE => {
                self.nonce = match &value {
                    ScalarValueRef::Bytes(b) => IdNonce::try_from(b.as_ref()).ok(),
                    _ => None,
                };
            }
            "title" => text(&mut self.title),
            "description" => text(&mut self.description),
            "category" => text(&mut self.category),
            "tags" => text(&mut self.tags),
            "condition" => text(&mut self.condition),
            "photos" => text(&mut self.photos),
            "deposit_cents" => self.deposit_cents = number.or(self.deposit_cents),
            "max_loan_days" => self.max_loan_days = number.or(self.max_loan_days),
            "created_at" => self.created_at = number.or(self.created_at),
            "updated_at" => self.updated_at = number.or(self.updated_at),
            "available" => {
                if let ScalarValueRef::Boolean(b) = value {
                    self.available = b;
                }
            }
            _ => {}
        }
    }

    /// The item, if its id is bound to this owner (only the owner's document can carry it: a
    /// copy elsewhere is not read at all) and it passes the rules local input passes.
    fn finish(self, id: ItemId, neighbourhood: NeighbourhoodId, owner: MemberId) -> Option<Item> {
        let nonce = self.nonce?;
        if !id.is_bound_to(&neighbourhood, &owner, &nonce) {
            return None;
        }
        let list = |text: Option<String>| -> Vec<String> {
            text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
        };
        let item = Item {
            id,
            neighbourhood,
            owner,
            title: self.title?,
            description: self.description.unwrap_or_default(),
            category: self.category?.parse::<Category>().ok()?,
            tags: list(self.tags),
            condition: self.condition.and_then(|c| c.parse::<Condition>().ok()).unwrap_or(Condition::Good),
            photos: list(self.photos),
            deposit_cents: self.deposit_cents,
            max_loan_days: u32::try_from(self.max_loan_days?).ok()?,
            available: self.available,
            created_at: self.created_at?,
            updated_at: self.updated_at?,
        };
        // Same rules as local input, so a remote document cannot smuggle in what the UI would refuse.
        let draft_ok = crate::model::validate_title(&item.title).is_ok()
            && crate::model::validate_description(&item.description).is_ok()
            && crate::model::validate_tags(&item.tags).is_ok()
            && crate::model::validate_photos(&item.photos).is_ok()
            && crate::model::validate_loan_days(item.max_loan_days).is_ok();
        draft_ok.then_some(item)
    }
}

/// The item stored in map `obj` under `id`, if it is valid.
pub(crate) fn read_item(
    doc: &AutoCommit,
    obj: &ObjId,
    id: ItemId,
    neighbourhood: NeighbourhoodId,
    owner: MemberId,
) -> Option<Item> {
    let mut fields = ItemFields::default();
    for entry in doc.map_range(obj, ..) {
        fields.take(entry.key.as_ref(), entry.value);
    }
    fields.finish(id, neighbourhood, owner)
}

/// Every valid item of the map `items`, in the order of their keys.
pub(crate) fn read_items(
    doc: &AutoCommit,
    items: &ObjId,
    neighbourhood: NeighbourhoodId,
    owner: MemberId,
) -> Vec<Item> {
    // `DocIter` over the items map and its children was measured slower than a `map_range` per
    // item (it decodes every operation it passes, overwritten values included).
    let found: Vec<(ItemId, ObjId)> = doc
        .map_range(items, ..)
        .filter_map(|entry| {
            let id: ItemId = entry.key.parse().ok()?;
            matches!(entry.value, ValueRef::Object(ObjType::Map)).then(|| (id, entry.id()))
        })
        .collect();
    let read_part = |part: &[(ItemId, ObjId)]| -> Vec<Item> {
        part.iter().filter_map(|(id, obj)| read_item(doc, obj, *id, neighbourhood, owner)).collect()
    };
    let threads = read_threads();
    if threads < 2 || found.len() < PARALLEL_FROM {
        return read_part(&found);
    }
    // A whole document (a full sync, a reopen): its items are read on the available cores.
    // Reads only: `AutoCommit` is `Sync`, and every thread is joined before returning.
    let chunk = found.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> =
            found.chunks(chunk).map(|part| (part, s.spawn(move || read_part(part)))).collect();
        // A part whose thread panicked (automerge on a malformed document) is read again here,
        // so the panic surfaces where a sequential read would have raised it.
        parts
            .into_iter()
            .flat_map(|(part, handle)| handle.join().unwrap_or_else(|_| read_part(part)))
            .collect()
    })
}

/// Items from which a document's items are read on several threads.
pub(crate) const PARALLEL_FROM: usize = 256;
/// Threads that read one document at most.
const MAX_READ_THREADS: usize = 4;

/// Threads worth using for reading a whole document here.
pub(crate) fn read_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_READ_THREADS)
}
