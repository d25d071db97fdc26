//! Many items at once (`Node::add_items`): all or nothing, signed as one change, replicated
//! and verified like single adds.

use partage::{Category, Error, ItemDraft, ItemFilter, ValidationError};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};

fn catalogue(n: usize) -> Vec<ItemDraft> {
    (0..n)
        .map(|i| ItemDraft {
            title: format!("Outil {i}"),
            category: Some(Category::Tools),
            tags: vec!["atelier".into()],
            deposit_cents: Some(500),
            ..ItemDraft::default()
        })
        .collect()
}

fn titles(n: &TestNode) -> Vec<String> {
    let mut t: Vec<String> = n.items().into_iter().map(|v| v.item.title).collect();
    t.sort();
    t
}

#[test]
fn a_batch_is_one_signed_change_that_replicates_like_single_adds() {
    let (nodes, ns) = neighbourhood(&["Outilthèque", "Bob"]);
    sync_all(&nodes, &ns);
    let (library, bob) = (&nodes[0], &nodes[1]);
    let me = library.node.identity().unwrap().unwrap().member;
    let changes_before = library.node.doc_bundle(&ns, &me, &[]).unwrap();
    let heads_before: Vec<[u8; 32]> = changes_before.attestations.iter().map(|a| a.hash).collect();

    let added = library.node.add_items(&ns, catalogue(300)).unwrap();
    assert_eq!(added.len(), 300);
    assert!(added.iter().all(|v| v.item.owner == me && v.item.category == Category::Tools));
    // One change on top of what was there: the bundle beyond the old heads holds exactly one.
    let beyond = library.node.doc_bundle(&ns, &me, &heads_before).unwrap();
    match &beyond.payload {
        partage::DocPayload::Changes(c) => assert_eq!(c.len(), 1, "one change per batch"),
        other => panic!("expected changes, got {other:?}"),
    }
    // Bob verifies and takes it like any other change; the items keep their owner.
    push(&library.node, &bob.node, &ns);
    let at_bob = bob.node.list_items(&ItemFilter { owner: Some(me), ..ItemFilter::default() }).unwrap();
    assert_eq!(at_bob.len(), 300);
    // Durable: a reopened store has all of them.
    let library = nodes.into_iter().next().unwrap().reopen();
    assert_eq!(library.items().len(), 300);
}

#[test]
fn one_bad_draft_refuses_the_batch_and_names_every_bad_one() {
    let (nodes, ns) = neighbourhood(&["Outilthèque"]);
    let library = &nodes[0];
    library.node.add_item(&ns, draft("Perceuse")).unwrap();
    let mut drafts = catalogue(50);
    drafts[3].title = "   ".into();
    drafts[41].tags = (0..30).map(|i| format!("t{i}")).collect();
    let mut events = library.node.subscribe();
    let err = library.node.add_items(&ns, drafts).unwrap_err();
    match &err {
        Error::Invalid(ValidationError::Rows(rows)) => {
            let at: Vec<usize> = rows.iter().map(|r| r.index).collect();
            assert_eq!(at, [3, 41]);
            assert!(matches!(rows[0].error, ValidationError::Empty { field: "title" }));
        }
        other => panic!("expected per-row errors, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("item 4: title is empty") && message.contains("nothing was added"), "{message}");
    assert_eq!(titles(library), ["Perceuse"], "nothing of the batch was added");
    assert!(events.try_recv().is_none(), "a refused batch emitted events");
    let library = nodes.into_iter().next().unwrap().reopen();
    assert_eq!(titles(&library), ["Perceuse"], "nothing of the batch was stored");
}

#[test]
fn check_items_changes_nothing_and_limits_the_batch() {
    let (nodes, ns) = neighbourhood(&["Outilthèque"]);
    let library = &nodes[0];
    assert!(partage::node::check_items(&catalogue(20)).is_ok());
    assert_eq!(library.items().len(), 0);
    let too_many = catalogue(partage::node::MAX_BATCH_ITEMS + 1);
    assert!(matches!(
        library.node.add_items(&ns, too_many),
        Err(Error::Invalid(ValidationError::BatchTooLarge { .. }))
    ));
    assert!(library.node.add_items(&ns, Vec::new()).unwrap().is_empty());
    assert_eq!(library.items().len(), 0);
}
