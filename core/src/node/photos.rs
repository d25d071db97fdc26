//! Photos of items (ADR 0017): adding one to an own item, removing it, reading blobs, backups,
//! and freeing blobs (the blob side of replication is in `photo_sharing.rs`). Blobs are freed by
//! reachability: a blob stays while an item of any member in any
//! neighbourhood refers to it.

use super::{Node, State};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{ItemId, NeighbourhoodId};
use crate::model::{Item, MAX_PHOTOS};
use crate::photo::{BlobHash, BlobKind, PhotoError, PhotoRef, Prepared};
use crate::readmodel::ItemView;
use crate::store::Writer;
use std::collections::{BTreeSet, HashMap};

impl Node {
    /// Adds a photo (JPEG, PNG or WebP bytes) to one of this member's items: turned upright,
    /// stripped of all metadata, downscaled, with a thumbnail; stored with the item's change
    /// in one transaction. Adding the same photo again changes nothing. On any error nothing
    /// is stored.
    pub fn add_photo(&self, id: &ItemId, bytes: &[u8]) -> Result<PhotoRef> {
        // Cheap checks first, so a wrong item or a full one costs no decoding.
        check_room(&super::items::own_item(&*self.lock()?, id)?)?;
        // Decoding and encoding take a while: no lock is held meanwhile.
        let prepared = crate::photo::prepare(bytes)?;
        let mut st = self.lock()?;
        let mut item = super::items::own_item(&st, id)?;
        let reference = prepared.reference.to_string();
        if item.photos.contains(&reference) {
            return Ok(prepared.reference);
        }
        check_room(&item)?;
        st.check_budget(&item, &prepared)?;
        item.photos.push(reference);
        item.updated_at = now_ms();
        let view = self.write_photos(&mut st, item, &[], |w| {
            w.put_blob(&prepared.reference.original, BlobKind::Original, &prepared.original)?;
            w.put_blob(&prepared.reference.thumbnail, BlobKind::Thumbnail, &prepared.thumbnail)
        })?;
        self.emit(Event::ItemUpdated(view));
        Ok(prepared.reference)
    }

    /// Removes a photo from one of this member's items; its blobs are deleted in the same
    /// transaction unless another item still shows them.
    pub fn remove_photo(&self, id: &ItemId, photo: &PhotoRef) -> Result<ItemView> {
        let mut st = self.lock()?;
        let mut item = super::items::own_item(&st, id)?;
        let text = photo.to_string();
        let before = item.photos.len();
        item.photos.retain(|p| *p != text);
        if item.photos.len() == before {
            return Err(PhotoError::NotOnItem(photo.original.short()).into());
        }
        item.updated_at = now_ms();
        let view = self.write_photos(&mut st, item, &[*photo], |_| Ok(()))?;
        self.emit(Event::ItemUpdated(view.clone()));
        Ok(view)
    }

    /// The photos an item shows, parsed, in order.
    pub fn photos_of(&self, id: &ItemId) -> Result<Vec<PhotoRef>> {
        let st = self.lock()?;
        let item = st.read.get(id).ok_or(Error::UnknownItem(*id))?;
        Ok(refs_of(item))
    }

    /// A photo's thumbnail, or `None` while it has not arrived yet. An error if no item here
    /// shows the photo.
    pub fn thumbnail(&self, photo: &PhotoRef) -> Result<Option<Vec<u8>>> {
        self.local_blob(photo, photo.thumbnail)
    }

    /// A photo's original if it is on this device (`None`: fetch it from a member, see
    /// `partage_net`). An error if no item here shows the photo.
    pub fn original_here(&self, photo: &PhotoRef) -> Result<Option<Vec<u8>>> {
        self.local_blob(photo, photo.original)
    }

    fn local_blob(&self, photo: &PhotoRef, hash: BlobHash) -> Result<Option<Vec<u8>>> {
        let st = self.lock()?;
        if !st.read.all().any(|i| refs_of(i).contains(photo)) {
            return Err(PhotoError::Unknown(photo.original.short()).into());
        }
        st.store.blob(&hash)
    }

    /// The neighbourhood whose items show `photo` (the first found), to know whom to ask.
    pub fn photo_neighbourhood(&self, photo: &PhotoRef) -> Result<NeighbourhoodId> {
        let st = self.lock()?;
        st.read
            .all()
            .find(|i| refs_of(i).contains(photo))
            .map(|i| i.neighbourhood)
            .ok_or_else(|| PhotoError::Unknown(photo.original.short()).into())
    }

    /// Deletes every blob that no item of any member refers to any more. Runs by itself after
    /// own removals and received changes that drop photos; apps need not call it.
    pub fn collect_photos(&self) -> Result<usize> {
        self.lock()?.sweep_photos()
    }

    /// Writes one of this member's items whose photos changed, plus `more` rows, in one
    /// transaction; the blobs of `dropped` photos that no other item shows go with it.
    fn write_photos(
        &self,
        st: &mut State,
        item: Item,
        dropped: &[PhotoRef],
        more: impl FnOnce(&mut Writer<'_>) -> Result<()>,
    ) -> Result<ItemView> {
        let (ns, me) = (item.neighbourhood, item.owner);
        let mut still_shown: BTreeSet<BlobHash> = st
            .read
            .all()
            .filter(|i| i.id != item.id)
            .flat_map(|i| hashes(&refs_of(i)).collect::<Vec<_>>())
            .collect();
        still_shown.extend(hashes(&refs_of(&item)));
        let unused: Vec<BlobHash> = hashes(dropped).filter(|h| !still_shown.contains(h)).collect();
        let Some(change) = st.doc_mut(&ns, &me)?.put_item(&item)? else {
            return Ok(st.read.view(&item));
        };
        st.commit_local(ns, &change, |w| {
            w.put_item(&item)?;
            for h in &unused {
                w.delete_blob(h)?;
            }
            more(w)
        })?;
        let view = st.read.view(&item);
        st.read.upsert(item);
        Ok(view)
    }
}

/// The parsed photo references of an item (unparsable ones, which validation refuses, skipped).
pub(crate) fn refs_of(item: &Item) -> Vec<PhotoRef> {
    item.photos.iter().filter_map(|p| p.parse().ok()).collect()
}

fn hashes(refs: &[PhotoRef]) -> impl Iterator<Item = BlobHash> + '_ {
    refs.iter().flat_map(|r| [r.original, r.thumbnail])
}

fn check_room(item: &Item) -> Result<()> {
    if item.photos.len() >= MAX_PHOTOS {
        return Err(PhotoError::TooManyPhotos { max: MAX_PHOTOS }.into());
    }
    Ok(())
}

impl State {
    /// Refuses a photo that would take this member's photos in the item's neighbourhood over
    /// their budgets (all blobs; thumbnails alone, which every member stores).
    fn check_budget(&self, item: &Item, new: &Prepared) -> Result<()> {
        let sizes = self.store.blob_sizes()?;
        let mine: BTreeSet<PhotoRef> = self
            .read
            .all()
            .filter(|i| i.neighbourhood == item.neighbourhood && i.owner == item.owner)
            .flat_map(refs_of)
            .collect();
        let size = |h: &BlobHash| sizes.get(h).copied().unwrap_or(0);
        let thumbs: u64 = mine.iter().map(|r| size(&r.thumbnail)).sum::<u64>() + new.thumbnail.len() as u64;
        let originals: u64 = mine.iter().map(|r| size(&r.original)).sum::<u64>() + new.original.len() as u64;
        Ok(crate::photo::check_member_budget(originals, thumbs)?)
    }

    /// Deletes stored blobs no item refers to; returns how many.
    pub(super) fn sweep_photos(&mut self) -> Result<usize> {
        let shown: BTreeSet<BlobHash> =
            self.read.all().flat_map(|i| hashes(&refs_of(i)).collect::<Vec<_>>()).collect();
        let unused: Vec<BlobHash> =
            self.store.blob_hashes()?.into_iter().filter(|h| !shown.contains(h)).collect();
        if !unused.is_empty() {
            self.store.write(|w| unused.iter().try_for_each(|h| w.delete_blob(h)))?;
        }
        Ok(unused.len())
    }

    /// Whether applying `changed` and `removed` (from a member's document) drops a photo some
    /// item showed: then a sweep follows.
    pub(super) fn drops_photos(&self, changed: &[Item], removed: &[ItemId]) -> bool {
        let had = |id: &ItemId| self.read.get(id).is_some_and(|i| !i.photos.is_empty());
        removed.iter().any(had)
            || changed.iter().any(|new| {
                self.read.get(&new.id).is_some_and(|old| old.photos.iter().any(|p| !new.photos.contains(p)))
            })
    }
}

impl State {
    /// Blobs that only the items `ids` show (deleted with them).
    pub(super) fn blobs_freed_by_removing(&self, ids: &[ItemId]) -> Vec<BlobHash> {
        let removed: std::collections::HashSet<ItemId> = ids.iter().copied().collect();
        let others: BTreeSet<BlobHash> = self
            .read
            .all()
            .filter(|i| !removed.contains(&i.id))
            .flat_map(|i| hashes(&refs_of(i)).collect::<Vec<_>>())
            .collect();
        let gone: BTreeSet<BlobHash> = ids
            .iter()
            .filter_map(|id| self.read.get(id))
            .flat_map(|i| hashes(&refs_of(i)).collect::<Vec<_>>())
            .collect();
        gone.into_iter().filter(|h| !others.contains(h)).collect()
    }
}

impl Node {
    /// Every blob some item shows (originals and thumbnails).
    pub(crate) fn shown_blobs(&self) -> Result<BTreeSet<BlobHash>> {
        let st = self.lock()?;
        Ok(st.read.all().flat_map(|i| hashes(&refs_of(i)).collect::<Vec<_>>()).collect())
    }

    /// A stored blob, whoever shows it.
    pub(crate) fn blob_here(&self, hash: &BlobHash) -> Result<Option<Vec<u8>>> {
        self.lock()?.store.blob(hash)
    }

    /// Stores blobs from a backup (already checked against their hashes) that restored items
    /// show, with their kinds; others are left out.
    pub(crate) fn restore_blobs(&self, blobs: Vec<(BlobHash, Vec<u8>)>) -> Result<()> {
        let st = self.lock()?;
        let mut uses: HashMap<BlobHash, BlobKind> = HashMap::new();
        for item in st.read.all() {
            for r in refs_of(item) {
                uses.insert(r.original, BlobKind::Original);
                uses.insert(r.thumbnail, BlobKind::Thumbnail);
            }
        }
        st.store.write(|w| {
            for (hash, bytes) in &blobs {
                if let Some(kind) = uses.get(hash) {
                    w.put_blob(hash, *kind, bytes)?;
                }
            }
            Ok(())
        })
    }
}

impl Node {
    /// Hashes of every blob stored on this device (for diagnostics and tests).
    pub fn stored_blobs(&self) -> Result<BTreeSet<BlobHash>> {
        self.lock()?.store.blob_hashes()
    }
}
