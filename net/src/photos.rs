//! Photos over the network: an original fetched on demand from the members who have it.

use crate::blob::FetchProgress;
use crate::client::Network;
use crate::error::NetError;
use partage::PhotoRef;
use tokio::sync::mpsc;

impl Network {
    /// A photo's original: from this device if it is here, else fetched from a member of the
    /// item's neighbourhood who has it (verified against its hash while it streams in, then
    /// stored). `progress` receives reports as bytes arrive (skipped when it is full). Drop the
    /// future to cancel: nothing is stored then. Errors: the photo is on no item here, no member
    /// who has it is connected ([`partage::PhotoError::NotHere`]), or what they sent did not
    /// match ([`partage::PhotoError::HashMismatch`]).
    pub async fn fetch_photo(
        &self,
        photo: &PhotoRef,
        progress: Option<mpsc::Sender<FetchProgress>>,
    ) -> Result<Vec<u8>, NetError> {
        self.blobs.original(*photo, progress).await
    }
}
