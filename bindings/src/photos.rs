//! Photos at the FFI edge: add one to an own item from its bytes, read a thumbnail, fetch an
//! original (from this device or a member) with progress, remove one. A photo is named by its
//! reference as it appears in `Item.photos` (`ORIGINAL.THUMBNAIL`, BLAKE3 hashes in hex).

use crate::error::PartageError;
use crate::node::Node;
use crate::runtime::blocking;
use crate::types::{Item, parse_item};
use partage::PhotoRef;

/// How far fetching an original got.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PhotoProgress {
    /// The photo's reference.
    pub photo: String,
    pub received_bytes: i64,
    pub total_bytes: i64,
}

/// Implemented by the app: receives progress while an original is fetched, on a background
/// thread. Return quickly; reports are skipped rather than queued when the app is slow.
#[uniffi::export(callback_interface)]
pub trait PhotoProgressListener: Send + Sync {
    fn on_progress(&self, progress: PhotoProgress);
}

fn parse_photo(text: &str) -> Result<PhotoRef, PartageError> {
    text.parse::<PhotoRef>().map_err(|e| PartageError::from(partage::Error::from(e)))
}

/// Progress reports waiting for the app's listener, at most.
const PROGRESS_QUEUE: usize = 16;

#[uniffi::export]
impl Node {
    /// Adds a photo (JPEG, PNG or WebP bytes; convert HEIC first) to one of this member's items:
    /// turned upright, its location and all other metadata removed, downscaled to 2048 px with a
    /// 256 px thumbnail. Returns its reference (now last in `Item.photos`).
    pub async fn add_photo(&self, item_id: String, bytes: Vec<u8>) -> Result<String, PartageError> {
        let id = parse_item(&item_id)?;
        let n = self.core();
        blocking(move || n.add_photo(&id, &bytes)).await.map(|r| r.to_string())
    }

    /// Removes a photo from one of this member's items (its blobs go unless another item shows it).
    pub async fn remove_photo(&self, item_id: String, photo: String) -> Result<Item, PartageError> {
        let id = parse_item(&item_id)?;
        let photo = parse_photo(&photo)?;
        let n = self.core();
        blocking(move || n.remove_photo(&id, &photo)).await.map(Into::into)
    }

    /// A photo's thumbnail (JPEG), or `null`/`nil` while it has not arrived yet (thumbnails come
    /// with sync).
    pub async fn thumbnail(&self, photo: String) -> Result<Option<Vec<u8>>, PartageError> {
        let photo = parse_photo(&photo)?;
        let n = self.core();
        blocking(move || n.thumbnail(&photo)).await
    }

    /// A photo's original (JPEG): from this device, or fetched from a member who has it (the
    /// network must be started), verified and kept. `listener` receives progress. Cancel the
    /// call (coroutine, Task, asyncio task) to stop the transfer: nothing is kept then. Fails
    /// with kind `network` when no member who has it is connected.
    pub async fn photo(
        &self,
        photo: String,
        listener: Option<Box<dyn PhotoProgressListener>>,
    ) -> Result<Vec<u8>, PartageError> {
        let photo = parse_photo(&photo)?;
        let n = self.core();
        if let Some(bytes) = blocking(move || n.original_here(&photo)).await? {
            return Ok(bytes);
        }
        let network = self.network()?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<partage_net::blob::FetchProgress>(PROGRESS_QUEUE);
        let text = photo.to_string();
        let fetch = async move {
            let forward = async {
                while let Some(p) = rx.recv().await {
                    if let Some(l) = &listener {
                        l.on_progress(PhotoProgress {
                            photo: text.clone(),
                            received_bytes: i64::try_from(p.received).unwrap_or(i64::MAX),
                            total_bytes: i64::try_from(p.total).unwrap_or(i64::MAX),
                        });
                    }
                }
            };
            let (result, ()) = tokio::join!(network.fetch_photo(&photo, Some(tx)), forward);
            result
        };
        crate::network::on_runtime(&self.slot(), fetch).await
    }
}
