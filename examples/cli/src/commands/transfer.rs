//! `partage export FILE` and `partage import FILE`.

use crate::error::CliResult;
use crate::output::Out;
use partage::Node;
use std::path::Path;

pub fn export(node: &Node, file: &Path, out: &mut Out) -> CliResult {
    let summary = node.export_to_file(file)?;
    out.transfer("exported", &summary)?;
    if !out.json {
        out.line(format_args!("{} contains your secret keys: keep it somewhere safe", file.display()))?;
    }
    Ok(())
}

/// The core refuses a non-empty data directory and verifies the whole file before writing.
pub fn import(node: &Node, file: &Path, out: &mut Out) -> CliResult {
    let summary = node.import_from_file(file)?;
    out.transfer("imported", &summary)
}
