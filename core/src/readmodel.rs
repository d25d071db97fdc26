//! The read model: every member document of every neighbourhood joined into one queryable view,
//! kept in memory and updated in the same step as each commit.

use crate::ids::{ItemId, MemberId, NeighbourhoodId};
use crate::model::{Category, Item};
use crate::search::{SearchIndex, fold};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One page of items, and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page {
    pub items: Vec<ItemView>,
    pub total: usize,
}

/// An item as shown to a user: the item plus its owner's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    #[serde(flatten)]
    pub item: Item,
    pub owner_name: String,
}

/// Which items a listing shows. The default shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemFilter {
    pub neighbourhood: Option<NeighbourhoodId>,
    pub category: Option<Category>,
    pub owner: Option<MemberId>,
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

#[derive(Default)]
pub struct ReadModel {
    items: HashMap<ItemId, Item>,
    /// Folded titles, the sort key of every listing (folding per query was 40% of a search).
    sort_keys: HashMap<ItemId, String>,
    names: HashMap<(NeighbourhoodId, MemberId), String>,
    index: SearchIndex,
}

impl ReadModel {
    pub fn upsert(&mut self, item: Item) {
        let tags = item.tags.join(" ");
        self.index.insert(item.id, &[&item.title, &item.description, &tags]);
        self.sort_keys.insert(item.id, fold(&item.title));
        self.items.insert(item.id, item);
    }

    pub fn remove(&mut self, id: ItemId) -> Option<Item> {
        self.index.remove(id);
        self.sort_keys.remove(&id);
        self.items.remove(&id)
    }

    /// What differs between the read model and `items`, the full item list of one member
    /// document: (items new or changed, ids no longer present). Changes nothing.
    pub fn diff_doc(&self, ns: NeighbourhoodId, owner: MemberId, items: &[Item]) -> (Vec<Item>, Vec<ItemId>) {
        let present: std::collections::HashSet<ItemId> = items.iter().map(|i| i.id).collect();
        let removed = self
            .items
            .values()
            .filter(|i| i.neighbourhood == ns && i.owner == owner && !present.contains(&i.id))
            .map(|i| i.id)
            .collect();
        let changed = items.iter().filter(|i| self.items.get(&i.id) != Some(*i)).cloned().collect();
        (changed, removed)
    }

    pub fn remove_neighbourhood(&mut self, ns: NeighbourhoodId) -> Vec<ItemId> {
        let ids: Vec<ItemId> = self.items.values().filter(|i| i.neighbourhood == ns).map(|i| i.id).collect();
        for id in &ids {
            self.remove(*id);
        }
        self.names.retain(|(n, _), _| *n != ns);
        ids
    }

    pub fn set_name(&mut self, ns: NeighbourhoodId, member: MemberId, name: String) {
        self.names.insert((ns, member), name);
    }

    pub fn name(&self, ns: &NeighbourhoodId, member: &MemberId) -> String {
        self.names.get(&(*ns, *member)).cloned().unwrap_or_else(|| member.short())
    }

    pub fn get(&self, id: &ItemId) -> Option<&Item> {
        self.items.get(id)
    }

    pub fn view(&self, item: &Item) -> ItemView {
        ItemView { owner_name: self.name(&item.neighbourhood, &item.owner), item: item.clone() }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    /// Items matching `filter`, sorted by title (accent-insensitive) then id.
    pub fn list(&self, filter: &ItemFilter) -> Vec<ItemView> {
        self.sorted(self.items.values().filter(|i| filter.matches(i)))
    }

    /// Items matching `query` (see [`SearchIndex::search`]) and `filter`.
    pub fn search(&self, query: &str, filter: &ItemFilter) -> Vec<ItemView> {
        let ids = self.index.search(query);
        self.sorted(ids.iter().filter_map(|id| self.items.get(id)).filter(|i| filter.matches(i)))
    }

    /// One page of [`ReadModel::search`]: views are built only for the page, and only the
    /// matches up to its end are fully sorted.
    pub fn search_page(&self, query: &str, filter: &ItemFilter, limit: usize, offset: usize) -> Page {
        let ids = self.index.search(query);
        self.page(ids.iter().filter_map(|id| self.items.get(id)).filter(|i| filter.matches(i)), limit, offset)
    }

    /// One page of [`ReadModel::list`].
    pub fn list_page(&self, filter: &ItemFilter, limit: usize, offset: usize) -> Page {
        self.page(self.items.values().filter(|i| filter.matches(i)), limit, offset)
    }

    fn page<'a>(&self, items: impl Iterator<Item = &'a Item>, limit: usize, offset: usize) -> Page {
        let mut keyed: Vec<(&str, &Item)> =
            items.map(|i| (self.sort_keys.get(&i.id).map(String::as_str).unwrap_or(""), i)).collect();
        let total = keyed.len();
        let end = offset.saturating_add(limit).min(total);
        let order = |a: &(&str, &Item), b: &(&str, &Item)| a.0.cmp(b.0).then(a.1.id.cmp(&b.1.id));
        if end < total {
            // Everything before `end` is then no greater than what follows: sort only that.
            keyed.select_nth_unstable_by(end, order);
            keyed.truncate(end);
        }
        keyed.sort_unstable_by(order);
        let items = keyed.get(offset..).unwrap_or_default().iter().map(|(_, i)| self.view(i)).collect();
        Page { items, total }
    }

    fn sorted<'a>(&self, items: impl Iterator<Item = &'a Item>) -> Vec<ItemView> {
        let mut keyed: Vec<(&str, &Item)> =
            items.map(|i| (self.sort_keys.get(&i.id).map(String::as_str).unwrap_or(""), i)).collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.id.cmp(&b.1.id)));
        keyed.into_iter().map(|(_, i)| self.view(i)).collect()
    }
}
