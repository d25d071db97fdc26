//! The read model: every member document of every neighbourhood joined into one queryable view,
//! kept in memory and updated in the same step as each commit.

use crate::ids::{ItemId, MemberId, NeighbourhoodId};
use crate::model::{Category, Item};
use crate::search::{SearchIndex, fold};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::thread::JoinHandle;

/// One page of items, and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page {
    /// The items on this page, in listing order.
    pub items: Vec<ItemView>,
    /// How many items match in all, over every page.
    pub total: usize,
}

/// An item as shown to a user: the item plus its owner's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    /// The item itself (its fields appear at the top level when serialized).
    #[serde(flatten)]
    pub item: Item,
    /// The owner's display name in the item's neighbourhood (a short form of the member id when
    /// the owner's profile is not known yet).
    pub owner_name: String,
}

/// Which items a listing shows. The default shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Only items of this neighbourhood.
    pub neighbourhood: Option<NeighbourhoodId>,
    /// Only items of this category.
    pub category: Option<Category>,
    /// Only items this member owns.
    pub owner: Option<MemberId>,
    /// Only items marked available.
    pub available_only: bool,
}

impl ItemFilter {
    fn matches(&self, item: &Item) -> bool {
        self.neighbourhood.is_none_or(|n| n == item.neighbourhood)
            && self.category.is_none_or(|c| c == item.category)
            && self.owner.is_none_or(|o| o == item.owner)
            && (!self.available_only || item.available)
    }
}

/// One indexed item and its listing key.
struct Entry {
    item: Item,
    /// The folded title, the sort key of every listing (folding per query was 40% of a search).
    sort_key: Arc<str>,
}

/// Every item in listing order: folded title, then id; the slot says where the item is.
type OrderKey = (Arc<str>, ItemId, u32);

/// Every item of every neighbourhood this node holds, with its owner's name, in listing order
/// (folded title, then id) and indexed for search. The node keeps one and updates it with each
/// commit; apps query it through [`crate::Node`] methods such as `list_items` and `search`.
#[derive(Default)]
pub struct ReadModel {
    /// Each item's dense slot in `entries` (slots of removed items are reused).
    slot_of: HashMap<ItemId, u32>,
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    /// Listing order, kept on every change so a page is a walk, not a sort of everything.
    order: BTreeSet<OrderKey>,
    names: HashMap<(NeighbourhoodId, MemberId), String>,
    index: SearchIndex,
    /// Set while the index is built on another thread after a reopen (so that opening a store
    /// does not wait for 10,000 items to be indexed; the first search does, if it comes early).
    building: Option<Building>,
}

struct Building {
    builder: Option<JoinHandle<SearchIndex>>,
    /// Slots changed since the builder copied the texts: indexed again once it is joined.
    changed: HashSet<u32>,
}

/// The texts a search looks in (borrowed where the item holds them as they are).
fn texts_of(item: &Item) -> [Cow<'_, str>; 3] {
    [Cow::Borrowed(&item.title), Cow::Borrowed(&item.description), Cow::Owned(item.tags.join(" "))]
}

fn index_all(texts: Vec<(u32, [String; 3])>) -> SearchIndex {
    let mut index = SearchIndex::default();
    for (slot, [title, description, tags]) in texts {
        index.insert(slot, &[&title, &description, &tags]);
    }
    index
}

impl ReadModel {
    /// A read model of stored items whose search index is built on another thread.
    pub fn load(items: impl IntoIterator<Item = Item>) -> ReadModel {
        let mut read = ReadModel {
            building: Some(Building { builder: None, changed: HashSet::new() }),
            ..ReadModel::default()
        };
        for item in items {
            read.upsert(item);
        }
        let texts: Vec<(u32, [String; 3])> = read.indexed_texts();
        let spawned =
            std::thread::Builder::new().name("partage-index".into()).spawn(move || index_all(texts));
        match spawned {
            Ok(builder) => read.building = Some(Building { builder: Some(builder), changed: HashSet::new() }),
            // No thread to spare: index here and now.
            Err(_) => {
                read.building = None;
                read.index = index_all(read.indexed_texts());
            }
        }
        read
    }

    fn indexed_texts(&self) -> Vec<(u32, [String; 3])> {
        self.order
            .iter()
            .filter_map(|(_, _, slot)| Some((*slot, texts_of(&self.entry(*slot)?.item).map(Cow::into_owned))))
            .collect()
    }

    /// The search index, once its builder (if any) has finished.
    fn index(&mut self) -> &SearchIndex {
        if let Some(building) = self.building.take() {
            self.index = match building.builder.map(JoinHandle::join) {
                Some(Ok(index)) => index,
                // The builder panicked (a bug) or never ran: index here.
                _ => index_all(self.indexed_texts()),
            };
            for slot in building.changed {
                self.reindex(slot);
            }
        }
        &self.index
    }

    /// Indexes what `slot` holds now, or notes it for when the builder is joined.
    fn reindex(&mut self, slot: u32) {
        if let Some(building) = &mut self.building {
            building.changed.insert(slot);
            return;
        }
        match self.entries.get(slot as usize).and_then(Option::as_ref) {
            Some(entry) => {
                // Borrowed, not copied: an import indexes every item of a new document here.
                let [title, description, tags] = texts_of(&entry.item);
                self.index.insert(slot, &[&title, &description, &tags]);
            }
            None => self.index.remove(slot),
        }
    }

    /// Adds `item`, or replaces the item with the same id.
    pub fn upsert(&mut self, item: Item) {
        let sort_key: Arc<str> = Arc::from(fold(&item.title));
        let slot = match self.slot_of.get(&item.id) {
            Some(&slot) => {
                if let Some(old) = self.entry(slot) {
                    self.order.remove(&(old.sort_key.clone(), item.id, slot));
                }
                slot
            }
            None => {
                let slot = match self.free.pop() {
                    Some(slot) => slot,
                    None => {
                        self.entries.push(None);
                        u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX)
                    }
                };
                self.slot_of.insert(item.id, slot);
                slot
            }
        };
        self.order.insert((sort_key.clone(), item.id, slot));
        if let Some(place) = self.entries.get_mut(slot as usize) {
            *place = Some(Entry { item, sort_key });
        }
        self.reindex(slot);
    }

    /// Removes the item `id`, returning it (`None` if it was not there).
    pub fn remove(&mut self, id: ItemId) -> Option<Item> {
        let slot = self.slot_of.remove(&id)?;
        let entry = self.entries.get_mut(slot as usize)?.take()?;
        self.order.remove(&(entry.sort_key, id, slot));
        self.reindex(slot);
        self.free.push(slot);
        Some(entry.item)
    }

    fn entry(&self, slot: u32) -> Option<&Entry> {
        self.entries.get(slot as usize)?.as_ref()
    }

    /// What differs between the read model and `items`, the full item list of one member
    /// document: (items new or changed, ids no longer present). Changes nothing; the items
    /// that are new or changed are moved out of `items`, not copied.
    pub fn diff_doc(
        &self,
        ns: NeighbourhoodId,
        owner: MemberId,
        items: Vec<Item>,
    ) -> (Vec<Item>, Vec<ItemId>) {
        let present: std::collections::HashSet<ItemId> = items.iter().map(|i| i.id).collect();
        let removed = self
            .all()
            .filter(|i| i.neighbourhood == ns && i.owner == owner && !present.contains(&i.id))
            .map(|i| i.id)
            .collect();
        let changed = items.into_iter().filter(|i| self.get(&i.id) != Some(i)).collect();
        (changed, removed)
    }

    /// Removes every item and member name of neighbourhood `ns`, returning the ids of the items
    /// removed.
    pub fn remove_neighbourhood(&mut self, ns: NeighbourhoodId) -> Vec<ItemId> {
        let ids: Vec<ItemId> = self.all().filter(|i| i.neighbourhood == ns).map(|i| i.id).collect();
        for id in &ids {
            self.remove(*id);
        }
        self.names.retain(|(n, _), _| *n != ns);
        ids
    }

    /// Sets the display name shown for `member`'s items in `ns`.
    pub fn set_name(&mut self, ns: NeighbourhoodId, member: MemberId, name: String) {
        self.names.insert((ns, member), name);
    }

    /// The display name of `member` in `ns`, or the short form of its id when none is known.
    pub fn name(&self, ns: &NeighbourhoodId, member: &MemberId) -> String {
        self.names.get(&(*ns, *member)).cloned().unwrap_or_else(|| member.short())
    }

    /// The item `id`, if present.
    pub fn get(&self, id: &ItemId) -> Option<&Item> {
        self.slot_of.get(id).and_then(|slot| self.entry(*slot)).map(|e| &e.item)
    }

    /// `item` with its owner's display name.
    pub fn view(&self, item: &Item) -> ItemView {
        ItemView { owner_name: self.name(&item.neighbourhood, &item.owner), item: item.clone() }
    }

    /// How many items there are, over all neighbourhoods.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// Whether there are no items at all.
    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// Every item, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Item> {
        self.entries.iter().flatten().map(|e| &e.item)
    }

    /// Items matching `filter`, sorted by title (accent-insensitive) then id.
    pub fn list(&self, filter: &ItemFilter) -> Vec<ItemView> {
        self.list_page(filter, usize::MAX, 0).items
    }

    /// Items matching `query` (see [`SearchIndex::search`]) and `filter`.
    pub fn search(&mut self, query: &str, filter: &ItemFilter) -> Vec<ItemView> {
        self.search_page(query, filter, usize::MAX, 0).items
    }

    /// One page of [`ReadModel::search`]: views are built only for the page.
    pub fn search_page(&mut self, query: &str, filter: &ItemFilter, limit: usize, offset: usize) -> Page {
        let slots = self.entries.len();
        let matches = self.index().search(query, slots);
        let found = matches.count();
        // Few matches: sort just those. Many: walk the listing order, which stops at the end of
        // the page when the total is already known.
        if found.saturating_mul(8) < self.len() {
            let mut keyed: Vec<OrderKey> = matches
                .slots()
                .filter_map(|slot| self.entry(slot).map(|e| (e.sort_key.clone(), e.item.id, slot)))
                .collect();
            keyed.sort_unstable();
            return self.page(keyed.iter(), filter, limit, offset, None);
        }
        let walk = self.order.iter().filter(|(_, _, slot)| matches.contains(*slot));
        self.page(walk, filter, limit, offset, Some(found))
    }

    /// One page of [`ReadModel::list`].
    pub fn list_page(&self, filter: &ItemFilter, limit: usize, offset: usize) -> Page {
        self.page(self.order.iter(), filter, limit, offset, Some(self.len()))
    }

    /// The page `offset..offset + limit` of `ordered` items that pass `filter`. `known_total`,
    /// the number of `ordered` items, lets an unfiltered page stop at its end.
    fn page<'a>(
        &self,
        ordered: impl Iterator<Item = &'a OrderKey>,
        filter: &ItemFilter,
        limit: usize,
        offset: usize,
        known_total: Option<usize>,
    ) -> Page {
        let end = offset.saturating_add(limit);
        let unfiltered = *filter == ItemFilter::default();
        let mut items = Vec::new();
        let mut total = 0;
        for (_, _, slot) in ordered {
            let Some(entry) = self.entry(*slot) else { continue };
            if !filter.matches(&entry.item) {
                continue;
            }
            if total >= offset && total < end {
                items.push(self.view(&entry.item));
            }
            total += 1;
            if total >= end
                && unfiltered
                && let Some(known) = known_total
            {
                return Page { items, total: known };
            }
        }
        Page { items, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Condition;

    fn item(n: u8, title: &str) -> Item {
        Item {
            id: ItemId([n; 16]),
            neighbourhood: NeighbourhoodId([1; 32]),
            owner: MemberId([2; 32]),
            title: title.into(),
            description: format!("objet numéro {n}"),
            category: Category::Tools,
            tags: vec![format!("tag{}", n % 3)],
            condition: Condition::Good,
            photos: vec![],
            deposit_cents: None,
            max_loan_days: 7,
            available: n.is_multiple_of(2),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn titles(page: &Page) -> Vec<&str> {
        page.items.iter().map(|v| v.item.title.as_str()).collect()
    }

    /// Changes made while the index is built on its thread are all in it once it is joined:
    /// the same searches give the same pages as a read model indexed item by item.
    #[test]
    fn changes_during_the_background_build_are_indexed() {
        let stored: Vec<Item> = (0..200).map(|n| item(n, &format!("Perceuse {n}"))).collect();
        let mut loaded = ReadModel::load(stored.clone());
        let mut direct = ReadModel::default();
        stored.into_iter().for_each(|i| direct.upsert(i));
        for read in [&mut loaded, &mut direct] {
            read.upsert(item(7, "Échelle double"));
            read.remove(ItemId([8; 16]));
            read.upsert(item(250, "Tente 4 places"));
            read.remove(ItemId([9; 16]));
            read.upsert(item(251, "Perceuse neuve")); // reuses a freed slot
        }
        let available = ItemFilter { available_only: true, ..ItemFilter::default() };
        for (query, filter) in [
            ("perc", ItemFilter::default()),
            ("echelle", ItemFilter::default()),
            ("t", available),
            ("9", ItemFilter::default()),
        ] {
            for (limit, offset) in [(10, 0), (10, 190), (usize::MAX, 0)] {
                let a = loaded.search_page(query, &filter, limit, offset);
                let b = direct.search_page(query, &filter, limit, offset);
                assert_eq!(a, b, "{query} {limit} {offset}");
            }
        }
        assert_eq!(titles(&loaded.search_page("echel", &ItemFilter::default(), 5, 0)), ["Échelle double"]);
        let eights = loaded.search_page("numero 8", &ItemFilter::default(), usize::MAX, 0);
        assert!(!eights.items.is_empty() && eights.items.iter().all(|v| v.item.id != ItemId([8; 16])));
        let page = loaded.search_page("perceuse", &ItemFilter::default(), 3, 0);
        assert_eq!((titles(&page), page.total), (vec!["Perceuse 0", "Perceuse 1", "Perceuse 10"], 198));
    }

    #[test]
    fn pages_follow_the_listing_order_with_and_without_filters() {
        let mut read = ReadModel::default();
        for (n, title) in ["banane", "Ananas", "cerise", "Abricot", "datte"].iter().enumerate() {
            read.upsert(item(n as u8, title));
        }
        let all = read.list_page(&ItemFilter::default(), 2, 1);
        assert_eq!((titles(&all), all.total), (vec!["Ananas", "banane"], 5));
        let even = ItemFilter { available_only: true, ..ItemFilter::default() };
        let page = read.list_page(&even, 10, 0);
        assert_eq!((titles(&page), page.total), (vec!["banane", "cerise", "datte"], 3));
        assert_eq!(read.list(&ItemFilter::default()).len(), 5);
    }
}
