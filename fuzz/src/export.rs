//! Target `export`: restoring a backup, `serde_json::from_slice::<ExportFile>` then
//! `Node::import_data` into an empty data directory.
//!
//! The node is reused between inputs: a refused import must leave it empty (no identity, no
//! neighbourhood, no item), which the harness checks after each one. After an accepted import
//! the node must list its items, then it is deleted and opened afresh.

use crate::work;
use partage::export::{ExportFile, TransferSummary};
use partage::{Error, ItemFilter, Node};
use std::path::PathBuf;

pub struct ExportTarget {
    dir: PathBuf,
    node: Option<Node>,
}

fn assert_empty(node: &Node, why: &str) {
    let identity = node.identity().expect("identity after a refused import");
    assert!(identity.is_none(), "refused import ({why}) left an identity");
    let hoods = node.neighbourhoods().expect("neighbourhoods after a refused import");
    assert!(hoods.is_empty(), "refused import ({why}) left {} neighbourhoods", hoods.len());
    let items = node.list_items(&ItemFilter::default()).expect("list_items after a refused import");
    assert!(items.is_empty(), "refused import ({why}) left {} items", items.len());
}

impl ExportTarget {
    pub fn new() -> ExportTarget {
        let mut t = ExportTarget { dir: work::dir("export").join("node"), node: None };
        t.reset();
        t
    }

    fn reset(&mut self) {
        self.node = None;
        let _ = std::fs::remove_dir_all(&self.dir);
        self.node = Some(Node::open(&self.dir).expect("open empty node"));
    }

    /// `None` when the input is not an export file at all.
    pub fn run(&mut self, data: &[u8]) -> Option<Result<TransferSummary, Error>> {
        let file: ExportFile = serde_json::from_slice(data).ok()?;
        Some(self.import(file))
    }

    pub fn import(&mut self, file: ExportFile) -> Result<TransferSummary, Error> {
        let node = self.node.as_ref().expect("node");
        let result = node.import_data(file);
        match &result {
            Ok(summary) => {
                let items = node.list_items(&ItemFilter::default()).expect("list_items after an import");
                assert_eq!(items.len(), summary.items, "import summary and listing disagree");
                assert!(node.identity().expect("identity").is_some(), "import left no identity");
                self.reset();
            }
            Err(e) => assert_empty(node, &e.to_string()),
        }
        result
    }
}

impl Default for ExportTarget {
    fn default() -> Self {
        ExportTarget::new()
    }
}
