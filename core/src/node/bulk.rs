//! Many items at once: a tool library moving its catalogue in. All or nothing: every draft is
//! validated first, then the items go into the member's document as one signed change and into
//! the store in one transaction.

use super::Node;
use crate::clock::now_ms;
use crate::error::{Error, Result, RowError, ValidationError};
use crate::events::Event;
use crate::ids::{ItemId, NeighbourhoodId};
use crate::model::{Item, ItemDraft};
use crate::readmodel::ItemView;

/// Items in one batch at most (one change of a few MB; larger catalogues go in several).
pub const MAX_BATCH_ITEMS: usize = 10_000;

/// Checks a batch without writing anything: `Ok` if [`Node::add_items`] would accept every
/// draft, otherwise every refused draft with its reason.
pub fn check_items(drafts: &[ItemDraft]) -> std::result::Result<(), ValidationError> {
    if drafts.len() > MAX_BATCH_ITEMS {
        return Err(ValidationError::BatchTooLarge { count: drafts.len(), max: MAX_BATCH_ITEMS });
    }
    let placeholder = (ItemId([0; 16]), NeighbourhoodId([0; 32]), crate::ids::MemberId([0; 32]));
    let rows: Vec<RowError> = drafts
        .iter()
        .enumerate()
        .filter_map(|(index, d)| {
            let (id, ns, me) = placeholder;
            d.clone().into_item(id, ns, me, 0).err().map(|error| RowError { index, error })
        })
        .collect();
    if rows.is_empty() { Ok(()) } else { Err(ValidationError::Rows(rows)) }
}

impl Node {
    /// Adds `drafts` to this member's inventory in `ns`, all or none: one signed change, one
    /// transaction. A refused draft refuses the batch, with every refused draft and its reason
    /// ([`ValidationError::Rows`]).
    pub fn add_items(&self, ns: &NeighbourhoodId, drafts: Vec<ItemDraft>) -> Result<Vec<ItemView>> {
        check_items(&drafts)?;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut st = self.lock()?;
        st.neighbourhood(ns)?;
        let me = st.identity()?.member_id();
        let now = now_ms();
        let mut items: Vec<Item> = Vec::with_capacity(drafts.len());
        let mut nonces = Vec::with_capacity(drafts.len());
        let mut rows = Vec::new();
        for (index, draft) in drafts.into_iter().enumerate() {
            let (id, nonce) = ItemId::new_bound(ns, &me)?;
            match draft.into_item(id, *ns, me, now) {
                Ok(item) => {
                    items.push(item);
                    nonces.push(nonce);
                }
                Err(error) => rows.push(RowError { index, error }),
            }
        }
        if !rows.is_empty() {
            return Err(Error::Invalid(ValidationError::Rows(rows)));
        }
        let Some(change) = st.doc_mut(ns, &me)?.create_items(&items, &nonces)? else {
            return Ok(Vec::new());
        };
        self.commit_own(&mut st, *ns, &change, |w| w.put_items(&items))?;
        let views: Vec<ItemView> = items.iter().map(|item| st.read.view(item)).collect();
        for item in items {
            st.read.upsert(item);
        }
        self.rebase_if_due(&mut st, *ns);
        drop(st);
        for view in &views {
            self.emit(Event::ItemAdded(view.clone()));
        }
        Ok(views)
    }
}
