//! Building the read model when a node opens. The calling thread decodes the stored items and
//! then reads the rest of what the node needs, while another thread upserts the items into the
//! read model: a reopen of 10,000 items costs about the larger of the two halves instead of
//! their sum (issue 14: reopen ≤ 50 ms; decoding and upserting were 46 % and 37 % of it).

use crate::error::{Error, Result};
use crate::model::Item;
use crate::readmodel::ReadModel;
use crate::store::Store;
use std::sync::mpsc;

/// Batches of decoded items in flight between the two threads (each `store::ITEM_BATCH` items).
const BATCHES_IN_FLIGHT: usize = 4;

/// The read model of `store`'s items, and what `rest` read from the store meanwhile.
pub(super) fn read_model_and<T>(store: &Store, rest: impl FnOnce() -> Result<T>) -> Result<(ReadModel, T)> {
    std::thread::scope(|scope| {
        let (batches, received) = mpsc::sync_channel::<Vec<Item>>(BATCHES_IN_FLIGHT);
        let builder = std::thread::Builder::new()
            .name("partage-open".into())
            .spawn_scoped(scope, move || ReadModel::load(received.into_iter().flatten()));
        let Ok(builder) = builder else {
            // No thread to spare: one after the other.
            drop(batches);
            let mut items = Vec::new();
            store.each_item_batch(|batch| items.extend(batch))?;
            return Ok((ReadModel::load(items), rest()?));
        };
        // A send fails only if the builder is gone, which the join below reports.
        let decoded = store.each_item_batch(|batch| {
            let _ = batches.send(batch);
        });
        drop(batches);
        let rest = decoded.and_then(|()| rest());
        let read = builder
            .join()
            .map_err(|_| Error::Storage("building the list of items failed while opening".into()))?;
        Ok((read, rest?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, MemberId, NeighbourhoodId};
    use crate::model::ItemDraft;
    use crate::readmodel::ItemFilter;
    use crate::store::ITEM_BATCH;

    #[test]
    fn every_stored_item_is_listed_and_searchable_after_the_pipelined_build() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let ns = NeighbourhoodId([3; 32]);
        let items: Vec<Item> = (0..3 * ITEM_BATCH + 17)
            .map(|n| {
                let owner = MemberId([(n % 7) as u8; 32]);
                let (id, _) = ItemId::new_bound(&ns, &owner).unwrap();
                let title = format!("Perceuse {n}");
                ItemDraft { title, ..ItemDraft::default() }.into_item(id, ns, owner, 1).unwrap()
            })
            .collect();
        store.write(|w| w.put_items(&items)).unwrap();
        let (mut read, rest) = read_model_and(&store, || Ok(42)).unwrap();
        assert_eq!(rest, 42);
        let mut listed: Vec<ItemId> = read.list(&ItemFilter::default()).iter().map(|v| v.item.id).collect();
        let mut expected: Vec<ItemId> = items.iter().map(|i| i.id).collect();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected);
        let found = read.search_page("perceuse 700", &ItemFilter::default(), 10, 0);
        assert_eq!(found.items.iter().map(|v| v.item.title.as_str()).collect::<Vec<_>>(), ["Perceuse 700"]);
    }

    #[test]
    fn what_the_rest_fails_with_is_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let failed = read_model_and(&store, || -> Result<()> { Err(Error::Corrupt("loans".into())) });
        assert!(matches!(failed, Err(Error::Corrupt(what)) if what == "loans"));
    }
}
