//! The member's own items: add, edit, pause/resume, remove; and reading the shared inventory.

use super::{Node, State};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{IdNonce, ItemId, NeighbourhoodId};
use crate::model::{Item, ItemDraft, ItemPatch};
use crate::readmodel::{ItemFilter, ItemView, Page};

/// A removal rebases the document by itself only below this many items (see `remove_item`).
pub const AUTO_REBASE_MAX_ITEMS: usize = 2_000;

impl Node {
    /// Adds an item to this member's inventory in `ns`. Validated first (a bad draft is an
    /// `InvalidInput` error and nothing is written).
    ///
    /// ```
    /// use partage::{Category, ItemDraft, ItemFilter, Node};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let node = Node::open(dir.path())?;
    /// node.init("Alice")?;
    /// let street = node.create_neighbourhood("Rue")?;
    /// let tent = ItemDraft { title: "Tente 4 places".into(), category: Some(Category::Camping), ..Default::default() };
    /// let added = node.add_item(&street.id, tent)?;
    /// assert_eq!(added.owner_name, "Alice");
    ///
    /// let empty = ItemDraft { title: "  ".into(), ..Default::default() };
    /// assert_eq!(node.add_item(&street.id, empty).unwrap_err().to_string(), "title is empty");
    /// assert_eq!(node.list_items(&ItemFilter::default())?.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn add_item(&self, ns: &NeighbourhoodId, draft: ItemDraft) -> Result<ItemView> {
        let mut st = self.lock()?;
        st.neighbourhood(ns)?;
        let me = st.identity()?.member_id();
        let (id, nonce) = ItemId::new_bound(ns, &me)?;
        let item = draft.into_item(id, *ns, me, now_ms())?;
        let view = self.write_item(&mut st, item, Some(&nonce))?;
        self.emit(Event::ItemAdded(view.clone()));
        Ok(view)
    }

    /// Edits fields of one of this member's items.
    pub fn edit_item(&self, id: &ItemId, patch: &ItemPatch) -> Result<ItemView> {
        let mut st = self.lock()?;
        let item = own_item(&st, id)?;
        let edited = patch.apply(&item, now_ms())?;
        let view = self.write_item(&mut st, edited, None)?;
        if patch.photos.is_some() {
            // Photos the patch dropped: their blobs go unless shown elsewhere (or at the next sweep).
            let _ = st.sweep_photos();
        }
        self.emit(Event::ItemUpdated(view.clone()));
        Ok(view)
    }

    /// Pauses (`false`) or resumes (`true`) lending of an item.
    pub fn set_available(&self, id: &ItemId, available: bool) -> Result<ItemView> {
        let mut st = self.lock()?;
        let mut item = own_item(&st, id)?;
        item.available = available;
        item.updated_at = now_ms();
        let view = self.write_item(&mut st, item, None)?;
        self.emit(Event::ItemUpdated(view.clone()));
        Ok(view)
    }

    /// Removes one of this member's items. On the device holding the member key, when the
    /// member has no other device and the document is not very large, the document is then
    /// rebased so that the removed item's texts are forgotten everywhere (see
    /// [`Node::forget_history`]). With other devices (which could still be editing the old
    /// epoch offline), or from [`AUTO_REBASE_MAX_ITEMS`] items on (a rebase re-reads the whole
    /// document: 0.4 s for 10,000 items here), that is left to `forget_history`.
    pub fn remove_item(&self, id: &ItemId) -> Result<()> {
        let mut st = self.lock()?;
        let item = own_item(&st, id)?;
        let (ns, me) = (item.neighbourhood, item.owner);
        let change = st.doc_mut(&ns, &me)?.remove_item(*id)?.ok_or(Error::UnknownItem(*id))?;
        let unused = st.blobs_freed_by_removing(std::slice::from_ref(id));
        st.commit_local(ns, &change, |w| {
            w.delete_item(&me, id)?;
            unused.iter().try_for_each(|h| w.delete_blob(h))
        })?;
        st.read.remove(*id);
        self.emit(Event::ItemRemoved { neighbourhood: ns, item: *id });
        let small =
            st.read.all().filter(|i| i.neighbourhood == ns && i.owner == me).count() < AUTO_REBASE_MAX_ITEMS;
        if small && st.identity()?.member_key.is_some() && st.sole_device(&ns, &me) {
            self.rebase_own(&mut st, &ns, crate::doc_epoch::Departure::Stays)?;
        }
        Ok(())
    }

    /// The item `id` with its owner's name. Fails with [`Error::UnknownItem`] if it is not known here.
    pub fn item(&self, id: &ItemId) -> Result<ItemView> {
        let st = self.lock()?;
        let item = st.read.get(id).ok_or(Error::UnknownItem(*id))?;
        Ok(st.read.view(item))
    }

    /// Items matching `filter`, sorted by title.
    pub fn list_items(&self, filter: &ItemFilter) -> Result<Vec<ItemView>> {
        Ok(self.lock()?.read.list(filter))
    }

    /// Accent- and case-insensitive word-prefix search, narrowed by `filter`.
    ///
    /// ```
    /// use partage::{ItemDraft, ItemFilter, Node};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let node = Node::open(dir.path())?;
    /// node.init("Alice")?;
    /// let street = node.create_neighbourhood("Rue")?;
    /// for title in ["Échelle télescopique", "Perceuse", "Escabeau"] {
    ///     node.add_item(&street.id, ItemDraft { title: title.into(), ..Default::default() })?;
    /// }
    /// let found = node.search("ECHEL", &ItemFilter::default())?;
    /// assert_eq!(found.iter().map(|v| v.item.title.as_str()).collect::<Vec<_>>(), ["Échelle télescopique"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn search(&self, query: &str, filter: &ItemFilter) -> Result<Vec<ItemView>> {
        Ok(self.lock()?.read.search(query, filter))
    }

    /// One page of [`Node::search`] (by title): `limit` items from `offset`, and the number of
    /// matches in all. Cheaper than the whole list when there are many matches.
    pub fn search_page(&self, query: &str, filter: &ItemFilter, limit: usize, offset: usize) -> Result<Page> {
        Ok(self.lock()?.read.search_page(query, filter, limit, offset))
    }

    /// One page of [`Node::list_items`].
    pub fn list_page(&self, filter: &ItemFilter, limit: usize, offset: usize) -> Result<Page> {
        Ok(self.lock()?.read.list_page(filter, limit, offset))
    }

    /// Writes `item` into its owner's (this member's) document and the store, in one
    /// transaction; `nonce` is given for a new item (see [`ItemId::new_bound`]).
    fn write_item(&self, st: &mut State, item: Item, nonce: Option<&IdNonce>) -> Result<ItemView> {
        let (ns, me) = (item.neighbourhood, item.owner);
        let doc = st.doc_mut(&ns, &me)?;
        let written = match nonce {
            Some(nonce) => doc.create_item(&item, nonce)?,
            None => doc.put_item(&item)?,
        };
        let Some(change) = written else {
            // Nothing differs: nothing to sign or store.
            return Ok(st.read.view(&item));
        };
        self.commit_own(st, ns, &change, |w| w.put_item(&item))?;
        let view = st.read.view(&item);
        st.read.upsert(item);
        self.rebase_if_due(st, ns);
        Ok(view)
    }
}

/// The item `id`, if it exists and belongs to this member.
pub(super) fn own_item(st: &State, id: &ItemId) -> Result<Item> {
    let me = st.identity()?.member_id();
    let item = st.read.get(id).ok_or(Error::UnknownItem(*id))?;
    if item.owner != me {
        return Err(Error::NotYourItem {
            item: *id,
            owner: item.owner,
            owner_name: st.read.name(&item.neighbourhood, &item.owner),
        });
    }
    Ok(item.clone())
}
