//! What each redb table of a closed store holds: entries, stored key+value bytes and pages,
//! read with redb directly (read-only).

use serde_json::{Value, json};
use std::path::Path;

pub struct TableUse {
    pub name: String,
    pub entries: u64,
    pub stored_bytes: u64,
    pub pages: u64,
}

/// The tables of the store file at `path`, largest first. The store must not be open.
pub fn read(path: &Path) -> Result<Vec<TableUse>, redb::Error> {
    use redb::{ReadableDatabase, ReadableTableMetadata, TableHandle};
    let db = redb::ReadOnlyDatabase::open(path)?;
    let txn = db.begin_read()?;
    let mut out = Vec::new();
    for handle in txn.list_tables()? {
        let name = handle.name().to_owned();
        let table = txn.open_untyped_table(handle)?;
        let stats = table.stats()?;
        out.push(TableUse {
            name,
            entries: table.len()?,
            stored_bytes: stats.stored_bytes(),
            pages: stats.leaf_pages() + stats.branch_pages(),
        });
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.stored_bytes));
    Ok(out)
}

pub fn json(tables: &[TableUse]) -> Value {
    tables
        .iter()
        .map(|t| json!({ "table": t.name, "entries": t.entries, "stored_bytes": t.stored_bytes, "pages": t.pages }))
        .collect()
}

pub fn lines(tables: &[TableUse]) -> Vec<String> {
    tables
        .iter()
        .map(|t| {
            format!(
                "  table {:<14} {:>6} entries {:>9.2} MiB stored {:>6} pages",
                t.name,
                t.entries,
                t.stored_bytes as f64 / 1048576.0,
                t.pages
            )
        })
        .collect()
}
