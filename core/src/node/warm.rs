//! Loading this member's own documents on another thread right after a reopen, so that the
//! first write does not pay for it (an automerge load of a 10,000-item document is ~90 ms).
//!
//! The thread is given the stored bytes, never the node's state: it cannot keep the store
//! open after the node is dropped. Its result is used only if the document's heads are still
//! the ones kept with every commit; otherwise the document is loaded again from the store.

use super::State;
use crate::doc::MemberDoc;
use crate::error::{Error, Result};
use crate::ids::{MemberId, NeighbourhoodId};
use crate::store::{DocHeadsKey, Store, StoredDoc};
use automerge::Change;
use std::collections::HashMap;
use std::thread::JoinHandle;

/// Documents being loaded, by key.
pub(super) type Warming = HashMap<DocHeadsKey, JoinHandle<Result<(MemberDoc, usize)>>>;

/// A stored document, loaded, with the number of operations not yet in its snapshot.
pub(super) fn load_stored(stored: StoredDoc) -> Result<(MemberDoc, usize)> {
    let changes = stored
        .changes
        .into_iter()
        .map(|bytes| Change::from_bytes(bytes).map_err(|e| Error::Corrupt(format!("stored change: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let ops = changes.iter().map(Change::len).sum();
    let doc = MemberDoc::load(stored.snapshot.as_deref(), changes)
        .map_err(|e| Error::Corrupt(format!("stored document: {e}")))?;
    Ok((doc, ops))
}

/// Starts loading `me`'s document in each of `neighbourhoods` on other threads, from the bytes
/// stored in `store`. Called as soon as a reopen knows the identity, so the loads run beside the
/// rest of the opening.
pub(super) fn start_warming(
    store: &Store,
    me: Option<MemberId>,
    neighbourhoods: impl IntoIterator<Item = NeighbourhoodId>,
) -> Warming {
    let mut warming = Warming::new();
    let Some(me) = me else { return warming };
    for ns in neighbourhoods {
        let Ok(Some(stored)) = store.doc(&ns, &me) else { continue };
        let spawned =
            std::thread::Builder::new().name("partage-warm".into()).spawn(move || load_stored(stored));
        // No thread to spare: the first write loads it, as without warming.
        if let Ok(handle) = spawned {
            warming.insert((ns, me), handle);
        }
    }
    warming
}

impl State {
    /// The document loaded by a warming thread for `key`, if one was started and its heads are
    /// still current. Waits for the thread if it is still loading.
    pub(super) fn take_warmed(&mut self, key: &DocHeadsKey) -> Option<(MemberDoc, usize)> {
        let (mut doc, ops) = self.warming.remove(key)?.join().ok()?.ok()?;
        let mut loaded: Vec<[u8; 32]> = doc.heads().iter().map(|h| h.0).collect();
        let mut current = self.heads.get(key)?.clone();
        loaded.sort_unstable();
        current.sort_unstable();
        (loaded == current).then_some((doc, ops))
    }
}
