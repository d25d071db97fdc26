//! Whole-document bundles (what a new member receives): stored as a snapshot once built, then
//! sent from the store as is; never stale after a later change; and a node reopened and written
//! to at once still starts from its stored document.

use partage::{DocPayload, ItemDraft, ItemPatch};
use partage_tests::{TestNode, neighbourhood, push};

fn snapshot_of(bundle: &partage::DocBundle) -> Vec<u8> {
    match &bundle.payload {
        DocPayload::Snapshot(s) => s.clone(),
        DocPayload::Changes(_) => panic!("a bundle beyond no heads is a whole document"),
    }
}

#[test]
fn a_whole_document_is_sent_from_its_stored_snapshot_and_is_never_stale() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = nodes.remove(0);
    let me = alice.node.identity().unwrap().unwrap().member;
    for t in ["Perceuse", "Échelle", "Tente"] {
        alice.node.add_item(&ns, ItemDraft { title: t.into(), ..ItemDraft::default() }).unwrap();
    }
    let first = alice.node.doc_bundle(&ns, &me, &[]).unwrap();
    let again = alice.node.doc_bundle(&ns, &me, &[]).unwrap();
    assert_eq!(snapshot_of(&first), snapshot_of(&again), "the second is the stored snapshot");
    assert_eq!(first.attestations, again.attestations);

    // A change after the snapshot: the next whole document carries it.
    let drill =
        alice.node.list_items(&Default::default()).unwrap().into_iter().find(|v| v.item.title == "Perceuse");
    let drill = drill.unwrap().item.id;
    let patch = ItemPatch { title: Some("Perceuse Bosch".into()), ..ItemPatch::default() };
    alice.node.edit_item(&drill, &patch).unwrap();
    let after = alice.node.doc_bundle(&ns, &me, &[]).unwrap();
    assert_ne!(snapshot_of(&after), snapshot_of(&first));

    // After a reopen (the stored snapshot is read, the document not even loaded) a new member
    // imports it and sees the edit.
    let alice = alice.reopen();
    let stored = alice.node.doc_bundle(&ns, &me, &[]).unwrap();
    assert_eq!(snapshot_of(&stored), snapshot_of(&after));
    let newcomer = TestNode::new("Chloé");
    let ticket = alice.node.invite(&ns, 1, 1, vec![]).unwrap();
    newcomer.node.join(&ticket).unwrap();
    push(&newcomer.node, &alice.node, &ns);
    newcomer.node.import_bundle(&stored).unwrap();
    let mut titles: Vec<String> = newcomer.items().into_iter().map(|v| v.item.title).collect();
    titles.sort();
    assert_eq!(titles, ["Perceuse Bosch", "Tente", "Échelle"]);
}

#[test]
fn a_write_right_after_a_reopen_builds_on_the_stored_document() {
    let (mut nodes, ns) = neighbourhood(&["Alice"]);
    let mut alice = nodes.remove(0);
    let drafts: Vec<ItemDraft> =
        (0..200).map(|i| ItemDraft { title: format!("Outil {i}"), ..ItemDraft::default() }).collect();
    alice.node.add_items(&ns, drafts).unwrap();
    for round in 0..3 {
        // Written before or after the warming thread is done: either way on top of the store.
        alice = alice.reopen();
        alice
            .node
            .add_item(&ns, ItemDraft { title: format!("Nouveau {round}"), ..ItemDraft::default() })
            .unwrap();
        assert_eq!(alice.node.search("outil", &Default::default()).unwrap().len(), 200);
    }
    let alice = alice.reopen();
    assert_eq!(alice.items().len(), 203);
    assert_eq!(alice.node.search("nouveau", &Default::default()).unwrap().len(), 3);
}

#[test]
fn a_reopened_node_becomes_warm_and_a_write_then_builds_on_the_store() {
    let (mut nodes, ns) = neighbourhood(&["Alice"]);
    let alice = nodes.remove(0);
    let drafts: Vec<ItemDraft> =
        (0..500).map(|i| ItemDraft { title: format!("Outil {i}"), ..ItemDraft::default() }).collect();
    alice.node.add_items(&ns, drafts).unwrap();
    let alice = alice.reopen();
    // The background load ends by itself, without any call waiting for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !alice.node.is_warm().unwrap() {
        assert!(std::time::Instant::now() < deadline, "the background load never finished");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    alice.node.add_item(&ns, ItemDraft { title: "Après".into(), ..ItemDraft::default() }).unwrap();
    assert!(alice.node.is_warm().unwrap());
    let alice = alice.reopen();
    assert_eq!(alice.items().len(), 501);
}
