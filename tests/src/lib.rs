//! Shared helpers for the integration scenarios in `tests/tests/`.

pub mod nat;
pub mod photos;

use partage::{ItemDraft, ItemFilter, ItemView, NeighbourhoodId, Node};
use tempfile::TempDir;

/// A node in its own temporary data directory (removed on drop).
pub struct TestNode {
    pub node: Node,
    pub dir: TempDir,
}

impl TestNode {
    pub fn new(name: &str) -> TestNode {
        let dir = tempfile::tempdir().expect("temp dir");
        let node = Node::open(dir.path()).expect("open node");
        node.init(name).expect("init");
        TestNode { node, dir }
    }

    /// Closes and reopens the store, as after an app restart.
    pub fn reopen(self) -> TestNode {
        let TestNode { node, dir } = self;
        // redb allows one open handle per file: the old node must be gone first.
        drop(node);
        let node = Node::open(dir.path()).expect("reopen node");
        TestNode { node, dir }
    }

    pub fn items(&self) -> Vec<ItemView> {
        self.node.list_items(&ItemFilter::default()).expect("list items")
    }
}

/// A founder and `others` who joined by ticket, all in one neighbourhood.
pub fn neighbourhood(names: &[&str]) -> (Vec<TestNode>, NeighbourhoodId) {
    let nodes: Vec<TestNode> = names.iter().map(|n| TestNode::new(n)).collect();
    let ns = nodes[0].node.create_neighbourhood("Rue des Lilas").expect("create").id;
    for other in &nodes[1..] {
        let ticket = nodes[0].node.invite(&ns, 7, 1, vec![]).expect("invite");
        other.node.join(&ticket).expect("join");
        // The founder meets the joiner's document, witnesses the ticket, and the joiner learns
        // of it from the founder's: both confirmed, as after a first sync.
        push(&other.node, &nodes[0].node, &ns);
        push(&nodes[0].node, &other.node, &ns);
    }
    (nodes, ns)
}

/// Sends every document `from` has in `ns` to `to`, as changes on top of what `to` has.
pub fn push(from: &Node, to: &Node, ns: &NeighbourhoodId) {
    let theirs = to.doc_summaries(ns).expect("summaries");
    for mine in from.doc_summaries(ns).expect("summaries") {
        let have = theirs.iter().find(|s| s.owner == mine.owner).map(|s| s.heads.clone()).unwrap_or_default();
        if have == mine.heads {
            continue;
        }
        let bundle = from.doc_bundle(ns, &mine.owner, &have).expect("bundle");
        match to.import_bundle(&bundle) {
            Ok(_) => {}
            // `from` still holds an epoch `to` has replaced (see `partage::doc_epoch`): refused
            // by design, as from an honest relay that has not met the new epoch yet.
            Err(partage::Error::Rejected(partage::VerifyError::OlderEpoch { .. })) => {}
            Err(e) => panic!("import: {e:?}"),
        }
    }
}

/// Every node pushes to every other until nothing changes (two rounds suffice for a mesh).
pub fn sync_all(nodes: &[TestNode], ns: &NeighbourhoodId) {
    for _ in 0..2 {
        for a in nodes {
            for b in nodes {
                if a.dir.path() != b.dir.path() {
                    push(&a.node, &b.node, ns);
                }
            }
        }
    }
}

pub fn draft(title: &str) -> ItemDraft {
    ItemDraft { title: title.into(), ..ItemDraft::default() }
}
