//! Scenarios for the shared inventory: membership, items, replication, reopen, export/import.

use partage::{Category, Error, Event, ItemFilter, ItemPatch, Node, ValidationError};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};

#[test]
fn neighbours_share_items_after_exchanging_documents() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let (alice, bob, chloe) = (&nodes[0], &nodes[1], &nodes[2]);
    let ladder = alice
        .node
        .add_item(&ns, partage::ItemDraft { category: Some(Category::Diy), ..draft("Échelle double") })
        .unwrap();
    bob.node.add_item(&ns, draft("Perceuse à percussion")).unwrap();
    assert!(chloe.items().is_empty());

    // Transitive: Alice → Bob → Chloé, Chloé never meets Alice.
    push(&alice.node, &bob.node, &ns);
    push(&bob.node, &chloe.node, &ns);
    let found = chloe.node.search("echel", &ItemFilter::default()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].item.id, ladder.item.id);
    assert_eq!(found[0].owner_name, "Alice");
    assert_eq!(chloe.node.search("perceuse", &ItemFilter::default()).unwrap()[0].owner_name, "Bob");

    sync_all(&nodes, &ns);
    let reference = alice.items();
    assert_eq!(reference.len(), 2);
    for n in &nodes {
        assert_eq!(n.items(), reference);
        assert_eq!(n.node.members(&ns).unwrap().len(), 3);
    }
}

#[test]
fn editing_someone_elses_item_is_an_error_and_changes_nothing() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let item = nodes[0].node.add_item(&ns, draft("Tondeuse")).unwrap();
    push(&nodes[0].node, &nodes[1].node, &ns);
    let before = nodes[1].items();
    let patch = ItemPatch { title: Some("Mine now".into()), ..ItemPatch::default() };
    let err = nodes[1].node.edit_item(&item.item.id, &patch).unwrap_err();
    assert!(matches!(err, Error::NotYourItem { .. }));
    assert_eq!(err.to_string(), format!("item {} belongs to another member (Alice)", item.item.id.short()));
    assert!(matches!(nodes[1].node.remove_item(&item.item.id), Err(Error::NotYourItem { .. })));
    assert!(matches!(nodes[1].node.set_available(&item.item.id, false), Err(Error::NotYourItem { .. })));
    assert_eq!(nodes[1].items(), before);
}

#[test]
fn own_item_lifecycle_and_events() {
    let n = TestNode::new("Alice");
    let ns = n.node.create_neighbourhood("Rue Haute").unwrap().id;
    let mut events = n.node.subscribe();
    let item = n.node.add_item(&ns, draft("Scie sauteuse")).unwrap();
    let id = item.item.id;
    n.node.edit_item(&id, &ItemPatch { tags: Some(vec!["Bois".into()]), ..ItemPatch::default() }).unwrap();
    assert!(!n.node.set_available(&id, false).unwrap().item.available);
    assert_eq!(
        n.node.list_items(&ItemFilter { available_only: true, ..ItemFilter::default() }).unwrap().len(),
        0
    );
    assert!(n.node.set_available(&id, true).unwrap().item.available);
    n.node.remove_item(&id).unwrap();
    assert!(matches!(n.node.item(&id), Err(Error::UnknownItem(_))));

    let kinds: Vec<&str> = std::iter::from_fn(|| events.try_recv())
        .map(|e| match e {
            Event::ItemAdded(_) => "added",
            Event::ItemUpdated(_) => "updated",
            Event::ItemRemoved { .. } => "removed",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["added", "updated", "updated", "updated", "removed"]);
}

#[test]
fn slow_subscriber_is_told_it_missed_events() {
    let n = TestNode::new("Alice");
    let ns = n.node.create_neighbourhood("Rue Haute").unwrap().id;
    let mut events = n.node.subscribe();
    let item = n.node.add_item(&ns, draft("Tente")).unwrap();
    for i in 0..(partage::events::EVENT_BUFFER + 10) {
        n.node.set_available(&item.item.id, i % 2 == 0).unwrap();
    }
    match events.try_recv() {
        Some(Event::Overflow { missed }) => assert_eq!(missed, 11),
        other => panic!("expected an overflow report, got {other:?}"),
    }
    assert!(matches!(events.try_recv(), Some(Event::ItemUpdated(_))));
}

#[test]
fn filters_by_category_owner_and_neighbourhood() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let other_ns = nodes[0].node.create_neighbourhood("Club photo").unwrap().id;
    let a = &nodes[0].node;
    a.add_item(&ns, partage::ItemDraft { category: Some(Category::Garden), ..draft("Râteau") }).unwrap();
    a.add_item(&other_ns, partage::ItemDraft { category: Some(Category::Electronics), ..draft("Trépied") })
        .unwrap();
    nodes[1]
        .node
        .add_item(&ns, partage::ItemDraft { category: Some(Category::Garden), ..draft("Sécateur") })
        .unwrap();
    push(&nodes[1].node, a, &ns);
    let garden =
        a.list_items(&ItemFilter { category: Some(Category::Garden), ..ItemFilter::default() }).unwrap();
    assert_eq!(garden.iter().map(|v| v.item.title.as_str()).collect::<Vec<_>>(), ["Râteau", "Sécateur"]);
    let bobs = a
        .list_items(&ItemFilter {
            owner: Some(nodes[1].node.identity().unwrap().unwrap().member),
            ..ItemFilter::default()
        })
        .unwrap();
    assert_eq!(bobs.len(), 1);
    let photo = a.list_items(&ItemFilter { neighbourhood: Some(other_ns), ..ItemFilter::default() }).unwrap();
    assert_eq!(photo[0].item.title, "Trépied");
    assert_eq!(a.neighbourhoods().unwrap().len(), 2);
}

#[test]
fn reopen_restores_everything() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[1].node.add_item(&ns, draft("Appareil à raclette")).unwrap();
    push(&nodes[1].node, &nodes[0].node, &ns);
    let alice = nodes.remove(0);
    let id = alice.node.add_item(&ns, draft("Échelle")).unwrap().item.id;
    let items = alice.items();
    let hoods = alice.node.neighbourhoods().unwrap();
    let members = alice.node.members(&ns).unwrap();
    let summaries = alice.node.doc_summaries(&ns).unwrap();
    let alice = alice.reopen();
    assert_eq!(alice.items(), items);
    assert_eq!(alice.node.neighbourhoods().unwrap(), hoods);
    assert_eq!(alice.node.members(&ns).unwrap(), members);
    assert_eq!(alice.node.doc_summaries(&ns).unwrap(), summaries);
    assert_eq!(alice.node.search("raclette", &ItemFilter::default()).unwrap().len(), 1);
    // Writing after a reopen continues the same document.
    alice
        .node
        .edit_item(&id, &ItemPatch { title: Some("Échelle double".into()), ..ItemPatch::default() })
        .unwrap();
    push(&alice.node, &nodes[0].node, &ns);
    assert_eq!(nodes[0].node.item(&id).unwrap().item.title, "Échelle double");
}

#[test]
fn export_then_import_gives_the_same_read_model() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    nodes[1].node.add_item(&ns, draft("Tente 4 places")).unwrap();
    sync_all(&nodes, &ns);
    let file = nodes[0].dir.path().join("backup.json");
    let summary = nodes[0].node.export_to_file(&file).unwrap();
    assert_eq!((summary.neighbourhoods, summary.documents, summary.items), (1, 2, 2));

    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(json["format"], "partage-export");
    assert_eq!(json["items"].as_array().unwrap().len(), 2);

    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Node::open(fresh_dir.path()).unwrap();
    fresh.import_from_file(&file).unwrap();
    assert_eq!(fresh.list_items(&ItemFilter::default()).unwrap(), nodes[0].items());
    assert_eq!(fresh.neighbourhoods().unwrap(), nodes[0].node.neighbourhoods().unwrap());
    assert_eq!(fresh.identity().unwrap(), nodes[0].node.identity().unwrap());
    assert_eq!(fresh.doc_summaries(&ns).unwrap(), nodes[0].node.doc_summaries(&ns).unwrap());
    // And it survives a reopen.
    drop(fresh);
    let fresh = Node::open(fresh_dir.path()).unwrap();
    assert_eq!(fresh.list_items(&ItemFilter::default()).unwrap(), nodes[0].items());
    // Importing into a data directory that has data is refused.
    assert!(matches!(nodes[1].node.import_from_file(&file), Err(Error::StoreNotEmpty)));
}

/// Found while making the fuzz fixtures: an admin who had revoked anyone could not restore their
/// backup (the export held the revoked member's document, and the import refused the whole file
/// for it). Now the export leaves such documents out, and an import skips them (a file written
/// before the fix still has one).
#[test]
fn an_export_made_after_a_revocation_can_be_imported() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[1].node.add_item(&ns, draft("Perceuse")).unwrap();
    sync_all(&nodes, &ns);
    let before = nodes[0].node.export_data().unwrap();
    let bob = nodes[1].node.identity().unwrap().unwrap().member;
    nodes[0].node.revoke(&ns, &bob).unwrap();
    let export = nodes[0].node.export_data().unwrap();
    assert!(export.documents.iter().all(|d| d.owner != bob), "the revoked member's document was exported");
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Node::open(fresh_dir.path()).unwrap();
    fresh.import_data(export).unwrap();
    assert_eq!(fresh.list_items(&ItemFilter::default()).unwrap(), nodes[0].items());
    assert_eq!(fresh.revocations(&ns).unwrap(), nodes[0].node.revocations(&ns).unwrap());

    // A file that still holds the revoked member's document (as older builds wrote it).
    let mut old_style = nodes[0].node.export_data().unwrap();
    old_style.documents.extend(before.documents.into_iter().filter(|d| d.owner == bob));
    let other_dir = tempfile::tempdir().unwrap();
    let other = Node::open(other_dir.path()).unwrap();
    let summary = other.import_data(old_style).unwrap();
    assert_eq!(other.list_items(&ItemFilter::default()).unwrap(), nodes[0].items());
    assert!(other.list_items(&ItemFilter::default()).unwrap().iter().all(|v| v.item.owner != bob));
    assert_eq!(summary.documents, 1, "only Alice's document is restored");
}

#[test]
fn corrupt_export_files_are_refused_and_leave_the_store_empty() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[1].node.add_item(&ns, draft("Perceuse")).unwrap();
    sync_all(&nodes, &ns);
    let file = nodes[0].dir.path().join("backup.json");
    nodes[0].node.export_to_file(&file).unwrap();
    let good = std::fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&good).unwrap();

    let mut cases: Vec<(&str, String)> = vec![
        ("truncated", good[..good.len() / 2].to_string()),
        ("not json", "hello".into()),
        ("empty", String::new()),
    ];
    let mut wrong_format = json.clone();
    wrong_format["format"] = "something-else".into();
    cases.push(("wrong format", wrong_format.to_string()));
    let mut bad_secret = json.clone();
    bad_secret["identity"]["device_secret"] = "00".repeat(32).into();
    cases.push(("identity keys swapped", bad_secret.to_string()));
    let mut bad_snapshot = json.clone();
    bad_snapshot["documents"][1]["snapshot"] = "AAAA".into();
    cases.push(("damaged document", bad_snapshot.to_string()));
    let mut no_sigs = json.clone();
    no_sigs["documents"][1]["attestations"] = serde_json::json!([]);
    cases.push(("unsigned document", no_sigs.to_string()));
    let mut other_chain = json.clone();
    other_chain["neighbourhoods"][0]["chain"][0]["subject"] = "11".repeat(32).into();
    cases.push(("forged membership", other_chain.to_string()));

    for (what, text) in cases {
        let path = nodes[0].dir.path().join("bad.json");
        std::fs::write(&path, text).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let fresh = Node::open(dir.path()).unwrap();
        let err = fresh.import_from_file(&path).unwrap_err();
        assert!(matches!(err, Error::CorruptExport(_)), "{what}: {err}");
        assert!(fresh.identity().unwrap().is_none(), "{what}: identity was written");
        assert!(fresh.neighbourhoods().unwrap().is_empty(), "{what}");
        assert!(fresh.list_items(&ItemFilter::default()).unwrap().is_empty(), "{what}");
        drop(fresh);
        let reopened = Node::open(dir.path()).unwrap();
        assert!(reopened.identity().unwrap().is_none(), "{what}: identity on disk");
    }
}

#[test]
fn bad_item_input_is_refused_without_change() {
    let n = TestNode::new("Alice");
    let ns = n.node.create_neighbourhood("Rue Haute").unwrap().id;
    n.node.add_item(&ns, draft("Perceuse")).unwrap();
    let before = n.items();
    let err = n.node.add_item(&ns, draft("   ")).unwrap_err();
    assert_eq!(err.to_string(), "title is empty");
    let huge = "é".repeat(10 * 1024 * 1024);
    let err = n.node.add_item(&ns, draft(&huge)).unwrap_err();
    assert!(matches!(err, Error::Invalid(ValidationError::TooLong { field: "title", .. })));
    assert_eq!(
        "kitchenware".parse::<Category>().unwrap_err().to_string(),
        "unknown category \"kitchenware\" (use one of: tools, garden, kitchen, cleaning, diy, sports, camping, kids, books, games, electronics, mobility, party, other)"
    );
    let err =
        n.node.add_item(&ns, partage::ItemDraft { max_loan_days: Some(0), ..draft("Tente") }).unwrap_err();
    assert_eq!(err.to_string(), "maximum loan length must be between 1 and 365 days, not 0");
    let unknown_ns = partage::NeighbourhoodId([4; 32]);
    assert!(matches!(n.node.add_item(&unknown_ns, draft("x")), Err(Error::UnknownNeighbourhood(_))));
    assert_eq!(n.items(), before);
    let n = n.reopen();
    assert_eq!(n.items(), before);
}

#[test]
fn bad_tickets_are_refused_without_change() {
    let (nodes, ns) = neighbourhood(&["Alice"]);
    let ticket = nodes[0].node.invite(&ns, 7, 1, vec!["/ip4/127.0.0.1/tcp/4001".into()]).unwrap();
    let bob = TestNode::new("Bob");
    let cases = [
        (
            "garbage",
            "hello world".to_string(),
            "this is not a Partage ticket (it should start with \"partage1\")",
        ),
        (
            "truncated",
            ticket[..ticket.len() - 7].to_string(),
            "this ticket is damaged or incomplete (was it copied in full?)",
        ),
        (
            "one char changed",
            flip_char(&ticket, 40),
            "this ticket is damaged or incomplete (was it copied in full?)",
        ),
        (
            "future version",
            ticket.replacen("partage1", "partage7", 1),
            "this ticket is from an unsupported version (7); update Partage",
        ),
    ];
    for (what, bad, message) in cases {
        let err = bob.node.join(&bad).unwrap_err();
        assert_eq!(err.to_string(), message, "{what}");
        assert!(bob.node.neighbourhoods().unwrap().is_empty(), "{what}");
    }
    assert!(matches!(
        nodes[0].node.invite(&ns, 0, 1, vec![]),
        Err(Error::Invalid(ValidationError::ExpiryDays(0)))
    ));
    // Joining twice is refused; the real ticket works once.
    bob.node.join(&ticket).unwrap();
    assert!(matches!(bob.node.join(&ticket), Err(Error::AlreadyMember { .. })));
    assert!(matches!(nodes[0].node.join(&ticket), Err(Error::AlreadyMember { .. })));
}

fn flip_char(s: &str, at: usize) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[test]
fn leaving_erases_the_neighbourhood_locally() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    push(&nodes[0].node, &nodes[1].node, &ns);
    let bob = nodes.remove(1);
    assert_eq!(bob.items().len(), 1);
    bob.node.leave(&ns).unwrap();
    assert!(bob.items().is_empty());
    assert!(bob.node.neighbourhoods().unwrap().is_empty());
    let bob = bob.reopen();
    assert!(bob.items().is_empty());
    assert!(bob.node.neighbourhoods().unwrap().is_empty());
    // Only Bob's own departure is kept, to hand on to the neighbours (see `epochs.rs`)...
    let me = bob.node.identity().unwrap().unwrap().member;
    let kept: Vec<_> = bob.node.doc_summaries(&ns).unwrap().into_iter().map(|s| s.owner).collect();
    assert_eq!(kept, [me]);
    // ...until he leaves again.
    bob.node.leave(&ns).unwrap();
    assert!(matches!(bob.node.doc_summaries(&ns), Err(Error::UnknownNeighbourhood(_))));
}

#[test]
fn revocations_spread_with_documents() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    nodes[1].node.add_item(&ns, draft("Perceuse")).unwrap();
    sync_all(&nodes, &ns);
    assert_eq!(nodes[2].items().len(), 1);
    let bob = nodes[1].node.identity().unwrap().unwrap().member;
    let mut events = nodes[2].node.subscribe();
    nodes[0].node.revoke(&ns, &bob).unwrap();
    // Alice touches her own document so Chloé has something to fetch from her.
    nodes[0].node.add_item(&ns, draft("Tente")).unwrap();
    push(&nodes[0].node, &nodes[2].node, &ns);
    let titles: Vec<String> = nodes[2].items().into_iter().map(|v| v.item.title).collect();
    assert_eq!(titles, ["Tente"]);
    let revoked = std::iter::from_fn(|| events.try_recv())
        .any(|e| matches!(e, Event::MemberRevoked { member, .. } if member == bob));
    assert!(revoked, "Chloé's app is told Bob was revoked");
}

#[test]
fn revoked_member_is_refused_and_hidden() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[1].node.add_item(&ns, draft("Perceuse")).unwrap();
    push(&nodes[1].node, &nodes[0].node, &ns);
    assert_eq!(nodes[0].items().len(), 1);
    let bob = nodes[1].node.identity().unwrap().unwrap().member;
    assert!(matches!(nodes[1].node.revoke(&ns, &bob), Err(Error::NotAdmin { .. })));
    nodes[0].node.revoke(&ns, &bob).unwrap();
    assert!(nodes[0].items().is_empty());
    nodes[1].node.add_item(&ns, draft("Tente")).unwrap();
    let bundle = nodes[1].node.doc_bundle(&ns, &bob, &[]).unwrap();
    let err = nodes[0].node.import_bundle(&bundle).unwrap_err();
    assert_eq!(err.to_string(), "owner of the document is not a member: membership was revoked by an admin");
    assert!(nodes[0].items().is_empty());
}
