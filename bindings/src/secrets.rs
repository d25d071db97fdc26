//! The app's secret store (Android Keystore, iOS Keychain) for the member and device secrets, so
//! that they stay out of the data directory and its backups (ADR 0018). Implemented in Kotlin,
//! Swift or Python; `Node.openWithSecretStore(dataDir, store)` uses it.

use crate::error::PartageError;
use crate::node::Node;
use crate::runtime::blocking;
use std::sync::Arc;

/// What a secret store may throw. Any exception thrown by a foreign store arrives here too.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SecretStoreError {
    #[error("secret store failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SecretStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SecretStoreError::Failed { reason: e.reason }
    }
}

/// Implemented by the app: keeps a few secrets (32 bytes each) under names like
/// `partage.device.<hex>`. Use storage that stays on this device and out of backups (Android
/// Keystore-wrapped, iOS Keychain `...ThisDeviceOnly`). Called on a background thread, rarely:
/// opening a node, creating, restoring or linking an identity, renaming.
#[uniffi::export(callback_interface)]
pub trait SecretStore: Send + Sync {
    /// The secret saved under `name`, or null/nil if there is none.
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, SecretStoreError>;
    /// Saves `secret` under `name`, replacing what was there.
    fn save(&self, name: String, secret: Vec<u8>) -> Result<(), SecretStoreError>;
    /// Deletes the secret saved under `name`; nothing saved there is not an error. Called by
    /// `eraseInstallation` only.
    fn delete(&self, name: String) -> Result<(), SecretStoreError>;
}

/// The app's store as the core's `SecretStore`.
struct Foreign(Box<dyn SecretStore>);

impl partage::SecretStore for Foreign {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        self.0.load(name.to_owned()).map_err(|e| e.to_string())
    }

    fn save(&self, name: &str, secret: &[u8]) -> Result<(), String> {
        self.0.save(name.to_owned(), secret.to_vec()).map_err(|e| e.to_string())
    }

    fn delete(&self, name: &str) -> Result<(), String> {
        self.0.delete(name.to_owned()).map_err(|e| e.to_string())
    }
}

/// Deletes the installation in `data_dir` from this device: the secret keys its identity keeps
/// in `store` (the store it was opened with; none if it keeps no keys there), then its store
/// file, then the directory if nothing else is in it. Shut down and drop the node on it first:
/// an open one is refused with `Storage` and nothing is deleted. Neighbours keep what they
/// synced: `erase` each neighbourhood first to take this member's data off their devices too.
#[uniffi::export]
pub async fn erase_installation(
    data_dir: String,
    store: Option<Box<dyn SecretStore>>,
) -> Result<(), PartageError> {
    if data_dir.trim().is_empty() {
        return Err(PartageError::invalid("data directory is empty"));
    }
    let store = store.map(|s| Arc::new(Foreign(s)) as Arc<dyn partage::SecretStore>);
    blocking(move || partage::Node::erase_installation(data_dir, store)).await
}

#[uniffi::export]
impl Node {
    /// Like `open`, keeping the member and device secrets in `store` instead of the data
    /// directory: a directory created this way holds no secret key, and one that still holds
    /// them (made before) has them moved into `store`. Open it with the same store every time:
    /// without it, or on another device whose store lacks the keys, opening fails with `Storage`.
    #[uniffi::constructor]
    pub async fn open_with_secret_store(
        data_dir: String,
        store: Box<dyn SecretStore>,
    ) -> Result<Arc<Node>, PartageError> {
        if data_dir.trim().is_empty() {
            return Err(PartageError::invalid("data directory is empty"));
        }
        let store: Arc<dyn partage::SecretStore> = Arc::new(Foreign(store));
        Node::open_core(move || partage::Node::open_with_secret_store(data_dir, store)).await
    }
}
