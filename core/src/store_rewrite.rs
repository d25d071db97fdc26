//! Rewriting the store into a fresh file. redb is copy-on-write: a deleted row's bytes stay in
//! freed pages until they happen to be reused. After an erasure or a rebase (see
//! `crate::doc_epoch`) the forgotten titles and names must not be in the file at all, so every
//! live row is copied into a new file that then takes the old one's place.

use crate::error::{Error, Result};
use crate::store::Store;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use std::path::Path;

/// The one table with text keys (see `store::META`); every other table has byte keys.
const META: &str = "meta";

impl Store {
    /// Copies every table into `path` + `.rewrite`, makes it durable, and renames it over
    /// `path`; returns the store opened on the new file. The old handle must be dropped by the
    /// caller afterwards (it still reads the old, unlinked file until then). On failure the
    /// old file stays in place and the temporary one is removed.
    pub(crate) fn rewritten(&self, path: &Path) -> Result<Store> {
        let tmp = path.with_extension("rewrite");
        let io = |source| Error::Io { path: tmp.display().to_string(), source };
        let _ = std::fs::remove_file(&tmp);
        let copied = self.copy_into(&tmp);
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, path).map_err(io)?;
        if let Some(dir) = path.parent() {
            // The rename is durable once the directory is.
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Store::open(path)
    }

    fn copy_into(&self, tmp: &Path) -> Result<()> {
        let fresh = Database::create(tmp)?;
        let read = self.db.begin_read()?;
        let write = fresh.begin_write()?;
        for handle in read.list_tables()? {
            let name = handle.name().to_owned();
            if name == META {
                let def: TableDefinition<&str, &[u8]> = TableDefinition::new(&name);
                let (from, mut to) = (read.open_table(def)?, write.open_table(def)?);
                for row in from.iter()? {
                    let (k, v) = row?;
                    to.insert(k.value(), v.value())?;
                }
            } else {
                let def: TableDefinition<&[u8], &[u8]> = TableDefinition::new(&name);
                let (from, mut to) = (read.open_table(def)?, write.open_table(def)?);
                for row in from.iter()? {
                    let (k, v) = row?;
                    to.insert(k.value(), v.value())?;
                }
            }
        }
        write.commit()?;
        Ok(())
    }
}
