//! Documents of a sync round are stored without waiting for the disk, then made durable
//! together (`Node::import_bundle_unflushed`, `Node::flush`): listed at once, and kept when the
//! node is closed without an explicit flush.

use partage::ItemDraft;
use partage_tests::{TestNode, neighbourhood};

/// Imports into `to` everything `from` has that `to` lacks, without flushing; how many documents.
fn push_unflushed(from: &TestNode, to: &TestNode, ns: &partage::NeighbourhoodId) -> usize {
    let theirs = to.node.doc_summaries(ns).unwrap();
    let mut imported = 0;
    for mine in from.node.doc_summaries(ns).unwrap() {
        let have = theirs.iter().find(|s| s.owner == mine.owner).map(|s| s.heads.clone()).unwrap_or_default();
        if have != mine.heads {
            let bundle = from.node.doc_bundle(ns, &mine.owner, &have).unwrap();
            to.node.import_bundle_unflushed(&bundle).unwrap();
            imported += 1;
        }
    }
    imported
}

fn drafts(prefix: &str, n: usize) -> Vec<ItemDraft> {
    (0..n).map(|i| ItemDraft { title: format!("{prefix} {i}"), ..ItemDraft::default() }).collect()
}

#[test]
fn unflushed_imports_are_listed_at_once_and_kept_after_a_close() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let bob = nodes.remove(1);
    let alice = nodes.remove(0);
    alice.node.add_items(&ns, drafts("Perceuse", 300)).unwrap();
    assert_eq!(push_unflushed(&alice, &bob, &ns), 1);
    assert_eq!(bob.node.search("perceuse", &Default::default()).unwrap().len(), 300);
    // Closed without a flush: kept (the store flushes as it closes).
    let bob = bob.reopen();
    assert_eq!(bob.node.search("perceuse", &Default::default()).unwrap().len(), 300);

    alice.node.add_items(&ns, drafts("Échelle", 20)).unwrap();
    assert_eq!(push_unflushed(&alice, &bob, &ns), 1);
    bob.node.flush().unwrap();
    // A durable write of Bob's own after more unflushed imports keeps them all too.
    alice.node.add_items(&ns, drafts("Scie", 5)).unwrap();
    assert_eq!(push_unflushed(&alice, &bob, &ns), 1);
    bob.node.add_items(&ns, drafts("Tente", 2)).unwrap();
    let bob = bob.reopen();
    for (word, n) in [("perceuse", 300), ("echelle", 20), ("scie", 5), ("tente", 2)] {
        assert_eq!(bob.node.search(word, &Default::default()).unwrap().len(), n, "{word}");
    }
}
