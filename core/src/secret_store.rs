//! Keeping the member and device secrets out of the data directory (ADR 0018).
//!
//! By default the identity record in the store holds both secret keys, so anything that copies the
//! data directory (a phone's cloud backup, a restored backup on another phone) copies them: a
//! restored backup clones the device key. An app that opens its node with a [`SecretStore`]
//! (Android Keystore, iOS Keychain with a "this device only" class) keeps them there instead:
//!
//! - the record in the store carries [`EXTERNAL`] (all zero) in place of each secret it has
//!   (`member_secret: Some(EXTERNAL)` means "a member key, kept in the secret store"; `None` still
//!   means a linked device without one), so its format and the schema do not change;
//! - the secrets are saved under names made of their public keys (`partage.device.<hex>`,
//!   `partage.member.<hex>`), so several data directories can share one store, and a key read back
//!   is checked against the identity's certificate like any other;
//! - opening a directory whose record still holds secrets (made before the app installed a store)
//!   moves them into the store and rewrites the record without them.
//!
//! Exports (`export_to_file`) still carry the secrets: they are the user's own backup, encrypted
//! with a passphrase (ADR 0012).

use crate::error::{Error, Result};
use crate::identity::{Identity, SecretKey};
use crate::store::IdentityRecord;
use std::sync::Arc;

/// Where an app keeps secret keys (implemented by the app: Android Keystore, iOS Keychain).
/// Calls are rare (opening a node, creating or restoring an identity, renaming) and may block.
pub trait SecretStore: Send + Sync {
    /// The secret saved under `name`, or `None` if there is none.
    fn load(&self, name: &str) -> std::result::Result<Option<Vec<u8>>, String>;
    /// Saves `secret` under `name`, replacing what was there.
    fn save(&self, name: &str, secret: &[u8]) -> std::result::Result<(), String>;
    /// Deletes the secret saved under `name`; nothing to delete is not an error.
    /// Used by `Node::erase_installation`.
    fn delete(&self, name: &str) -> std::result::Result<(), String>;
}

/// What an identity record holds in place of a secret kept in the [`SecretStore`].
pub const EXTERNAL: [u8; 32] = [0; 32];

/// The name of the device secret whose public key is `public`.
pub fn device_secret_name(public: &[u8; 32]) -> String {
    format!("partage.device.{}", hex::encode(public))
}

/// The name of the member secret whose public key is `public`.
pub fn member_secret_name(public: &[u8; 32]) -> String {
    format!("partage.member.{}", hex::encode(public))
}

/// The record to write for `identity`: with its secrets, or, with a secret store, with
/// [`EXTERNAL`] in their place after saving them there.
pub(crate) fn record_for(
    identity: &Identity,
    store: Option<&Arc<dyn SecretStore>>,
) -> Result<IdentityRecord> {
    let mut record = IdentityRecord::from_identity(identity);
    let Some(store) = store else {
        return Ok(record);
    };
    save(store.as_ref(), &device_secret_name(&identity.device_key.public()), &identity.device_key)?;
    if let Some(member_key) = &identity.member_key {
        save(store.as_ref(), &member_secret_name(&member_key.public()), member_key)?;
        record.member_secret = Some(EXTERNAL);
    }
    record.device_secret = EXTERNAL;
    Ok(record)
}

/// The names under which an external `record` keeps its secrets: the device's, and the
/// member's if it has a member key. Reading and deleting both use these.
fn names_of(record: &IdentityRecord) -> (String, Option<String>) {
    let member = record.member_secret.is_some().then(|| member_secret_name(&record.device_cert.member.0));
    (device_secret_name(&record.device_cert.device.0), member)
}

/// Deletes from `store` the secrets that `record` keeps there (call only if [`is_external`]).
pub(crate) fn delete_secrets_of(record: &IdentityRecord, store: &dyn SecretStore) -> Result<()> {
    let (device, member) = names_of(record);
    for name in std::iter::once(device).chain(member) {
        store
            .delete(&name)
            .map_err(|reason| Error::Storage(format!("the secret store could not delete a key: {reason}")))?;
    }
    Ok(())
}

/// Whether `record` keeps its secrets in a secret store.
pub(crate) fn is_external(record: &IdentityRecord) -> bool {
    record.device_secret == EXTERNAL
}

/// The identity of a stored record, reading secrets kept outside from `store`.
pub(crate) fn identity_of(record: &IdentityRecord, store: Option<&Arc<dyn SecretStore>>) -> Result<Identity> {
    if !is_external(record) {
        return record.to_identity();
    }
    let Some(store) = store else {
        return Err(Error::Storage(
            "this data directory's secret keys are kept in the app's secret store: open it with that store"
                .into(),
        ));
    };
    let mut full = record.clone();
    let (device, member) = names_of(record);
    full.device_secret = load(store.as_ref(), &device)?;
    if let Some(member) = member {
        full.member_secret = Some(load(store.as_ref(), &member)?);
    }
    // Checks that the keys read back belong to the certificate.
    full.to_identity()
}

fn save(store: &dyn SecretStore, name: &str, key: &SecretKey) -> Result<()> {
    let bytes = zeroize::Zeroizing::new(key.to_bytes());
    store
        .save(name, bytes.as_slice())
        .map_err(|reason| Error::Storage(format!("the secret store could not save a key: {reason}")))
}

fn load(store: &dyn SecretStore, name: &str) -> Result<[u8; 32]> {
    let bytes = store
        .load(name)
        .map_err(|reason| Error::Storage(format!("the secret store could not read a key: {reason}")))?
        .ok_or_else(|| {
            Error::Storage(
                "a secret key of this identity is missing from the secret store (was the data directory restored on \
                 another device? link this device again, or import an export)"
                    .into(),
            )
        })?;
    let bytes = zeroize::Zeroizing::new(bytes);
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| Error::Storage("a key in the secret store is not 32 bytes".into()))
}

/// A secret store in memory, standing in for the Keystore/Keychain in tests.
#[cfg(test)]
pub(crate) mod memory {
    use super::SecretStore;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    pub(crate) struct Memory(pub(crate) Mutex<HashMap<String, Vec<u8>>>);

    impl SecretStore for Memory {
        fn load(&self, name: &str) -> std::result::Result<Option<Vec<u8>>, String> {
            Ok(self.0.lock().map_err(|_| "poisoned")?.get(name).cloned())
        }
        fn save(&self, name: &str, secret: &[u8]) -> std::result::Result<(), String> {
            self.0.lock().map_err(|_| "poisoned")?.insert(name.into(), secret.to_vec());
            Ok(())
        }
        fn delete(&self, name: &str) -> std::result::Result<(), String> {
            self.0.lock().map_err(|_| "poisoned")?.remove(name);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::Memory;
    use super::*;

    #[test]
    fn a_record_with_a_store_holds_no_secret_and_reads_back_whole() {
        let identity = Identity::generate("Alice".into(), 1).unwrap();
        let memory = Arc::new(Memory::default());
        let store: Arc<dyn SecretStore> = memory.clone();
        let record = record_for(&identity, Some(&store)).unwrap();
        assert_eq!(record.device_secret, EXTERNAL);
        assert_eq!(record.member_secret, Some(EXTERNAL));
        assert_eq!(memory.0.lock().unwrap().len(), 2);

        let back = identity_of(&record, Some(&store)).unwrap();
        assert_eq!(back.device_key.to_bytes(), identity.device_key.to_bytes());
        assert_eq!(
            back.member_key.map(|k| k.to_bytes()),
            identity.member_key.as_ref().map(SecretKey::to_bytes)
        );
    }

    #[test]
    fn without_the_store_or_its_keys_opening_fails_with_a_reason() {
        let identity = Identity::generate("Alice".into(), 1).unwrap();
        let store: Arc<dyn SecretStore> = Arc::new(Memory::default());
        let record = record_for(&identity, Some(&store)).unwrap();
        let no_store = identity_of(&record, None).unwrap_err();
        assert!(no_store.to_string().contains("open it with that store"), "{no_store}");
        let empty: Arc<dyn SecretStore> = Arc::new(Memory::default());
        let missing = identity_of(&record, Some(&empty)).unwrap_err();
        assert!(missing.to_string().contains("missing from the secret store"), "{missing}");
    }

    #[test]
    fn a_wrong_key_in_the_store_is_refused() {
        let identity = Identity::generate("Alice".into(), 1).unwrap();
        let memory = Arc::new(Memory::default());
        let store: Arc<dyn SecretStore> = memory.clone();
        let record = record_for(&identity, Some(&store)).unwrap();
        let name = device_secret_name(&identity.device_key.public());
        memory.0.lock().unwrap().insert(name, vec![7; 32]);
        assert!(matches!(identity_of(&record, Some(&store)), Err(Error::Corrupt(_))));
    }
}
