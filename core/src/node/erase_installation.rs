//! Taking this installation off the device: its secret keys in the app's secret store, then its
//! store file. Deleting the app's files alone is not enough: the Keystore/Keychain entries
//! outlive them (an iOS Keychain item even survives uninstalling the app).

use super::{Node, STORE_FILE};
use crate::error::{Error, Result};
use crate::secret_store::{self, SecretStore};
use crate::store::Store;
use std::io::ErrorKind;
use std::path::Path;
use std::sync::Arc;

impl Node {
    /// Deletes the installation in `dir` from this device: the secret keys its identity keeps in
    /// `secrets` (the store given to [`Node::open_with_secret_store`]), then the store file, then
    /// `dir` itself if nothing else is in it (other files are left alone). Close (drop) the node
    /// on `dir` first: an open one is refused with a `Storage` error and nothing is deleted.
    ///
    /// Neighbours keep what they synced: [`Node::erase`] each neighbourhood before this to take
    /// this member's items, photos and name off their devices too. A member key that another data
    /// directory shares through the same secret store is deleted too.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let data = dir.path().join("partage");
    /// partage::Node::open(&data)?.init("Camille")?;
    /// partage::Node::erase_installation(&data, None)?;
    /// assert!(!data.exists());
    /// # Ok(())
    /// # }
    /// ```
    pub fn erase_installation(dir: impl AsRef<Path>, secrets: Option<Arc<dyn SecretStore>>) -> Result<()> {
        let dir = dir.as_ref();
        let path = dir.join(STORE_FILE);
        let io = |path: &Path| {
            let shown = path.display().to_string();
            move |source| Error::Io { path: shown, source }
        };
        if path.try_exists().map_err(io(&path))? {
            // Held open (and so locked) until the file is gone: no node can open it meanwhile.
            let store = Store::open(&path)?;
            if let Some(record) = store.load_all()?.identity
                && secret_store::is_external(&record)
            {
                let Some(secrets) = secrets else {
                    return Err(Error::Storage(
                        "this data directory's secret keys are kept in the app's secret store: pass that store to \
                         erase them too"
                            .into(),
                    ));
                };
                secret_store::delete_secrets_of(&record, secrets.as_ref())?;
            }
            std::fs::remove_file(&path).map_err(io(&path))?;
            drop(store);
        }
        // A rewrite cut short (`store_rewrite.rs`) leaves this copy behind.
        let leftover = path.with_extension("rewrite");
        match std::fs::remove_file(&leftover) {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(io(&leftover)(e)),
            _ => {}
        }
        match std::fs::remove_dir(dir) {
            Ok(()) => Ok(()),
            // Not empty (the app's own files) or already gone: the installation is erased.
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::DirectoryNotEmpty) => Ok(()),
            Err(e) => Err(io(dir)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret_store::memory::Memory;

    fn names(memory: &Memory) -> Vec<String> {
        let mut names: Vec<String> = memory.0.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    #[test]
    fn the_keys_and_the_store_file_are_gone_and_other_installations_keep_theirs() {
        let tmp = tempfile::tempdir().unwrap();
        let (mine, other) = (tmp.path().join("mine"), tmp.path().join("other"));
        let memory = Arc::new(Memory::default());
        let store: Arc<dyn SecretStore> = memory.clone();
        let me = Node::open_with_secret_store(&mine, store.clone()).unwrap().init("Alice").unwrap();
        let them = Node::open_with_secret_store(&other, store.clone()).unwrap().init("Bea").unwrap();
        assert_eq!(names(&memory).len(), 4);

        Node::erase_installation(&mine, Some(store.clone())).unwrap();
        assert!(!mine.exists(), "the directory is gone");
        let left = names(&memory);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(
            left.iter()
                .all(|n| !n.ends_with(&hex::encode(me.member.0)) && !n.ends_with(&hex::encode(me.device.0)))
        );
        // The other installation still opens with its keys.
        assert_eq!(Node::open_with_secret_store(&other, store).unwrap().identity().unwrap(), Some(them));
        // Opening the erased directory again starts afresh.
        assert_eq!(Node::open(&mine).unwrap().identity().unwrap(), None);
    }

    #[test]
    fn an_open_node_or_a_missing_store_is_refused_and_nothing_is_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("partage");
        let memory = Arc::new(Memory::default());
        let store: Arc<dyn SecretStore> = memory.clone();
        let node = Node::open_with_secret_store(&dir, store.clone()).unwrap();
        let me = node.init("Alice").unwrap();
        let open = Node::erase_installation(&dir, Some(store.clone())).unwrap_err();
        assert!(open.to_string().contains("close that node first"), "{open}");
        drop(node);
        let without = Node::erase_installation(&dir, None).unwrap_err();
        assert!(without.to_string().contains("pass that store"), "{without}");
        assert_eq!(names(&memory).len(), 2);
        assert_eq!(Node::open_with_secret_store(&dir, store).unwrap().identity().unwrap(), Some(me));
    }

    #[test]
    fn the_apps_own_files_stay_and_erasing_twice_is_fine() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("partage");
        Node::open(&dir).unwrap().init("Alice").unwrap();
        std::fs::write(dir.join("app-settings.json"), "{}").unwrap();
        Node::erase_installation(&dir, None).unwrap();
        assert!(!dir.join(STORE_FILE).exists());
        assert!(dir.join("app-settings.json").exists());
        Node::erase_installation(&dir, None).unwrap();
        Node::erase_installation(tmp.path().join("never-made"), None).unwrap();
    }
}
