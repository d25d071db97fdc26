//! Epochs: forgetting removed content, leaving and erasing, played across replicas and checked
//! in the stores' files as well as through the API.

use partage::clock::{format_day, today};
use partage::{DocPayload, ItemDraft, ItemFilter, Node};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};
use std::path::Path;

/// Whether any file under `dir` contains `text`.
fn on_disk(dir: &Path, text: &str) -> bool {
    bytes_on_disk(dir, text.as_bytes())
}

fn bytes_on_disk(dir: &Path, needle: &[u8]) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle) {
                return true;
            }
        }
    }
    false
}

fn titles(n: &Node) -> Vec<String> {
    let mut t: Vec<String> =
        n.list_items(&ItemFilter::default()).unwrap().into_iter().map(|i| i.item.title).collect();
    t.sort();
    t
}

fn member(n: &Node) -> partage::MemberId {
    n.identity().unwrap().unwrap().member
}

/// A new, empty data directory linked to `from`'s identity.
fn link(from: &Node) -> TestNode {
    let code = partage::link::LinkCode::decode(&from.offer_link(false, vec![]).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path()).unwrap();
    let key = partage::identity::SecretKey::generate().unwrap();
    let grant = from.grant_link(&code.secret, partage::DeviceId(key.public())).unwrap();
    node.accept_link(&code, &key, grant).unwrap();
    TestNode { node, dir }
}

#[test]
fn a_removed_item_is_forgotten_by_every_replica_at_once_for_a_single_device_member() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let alice = &nodes[0].node;
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    let secret = alice.add_item(&ns, draft("Tandem du grenier")).unwrap().item.id;
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert!(on_disk(n.dir.path(), "Tandem du grenier"));
    }
    alice.remove_item(&secret).unwrap();
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert_eq!(titles(&n.node), ["Perceuse"]);
        assert!(!on_disk(n.dir.path(), "Tandem du grenier"), "still in {:?}", n.dir.path());
    }
}

#[test]
fn after_a_rebase_a_removed_title_is_in_no_replicas_store_file() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    // With a second device, removing leaves the history (the tablet may be editing offline);
    // rebasing is then asked for explicitly.
    let tablet = link(&nodes[0].node);
    nodes.push(tablet);
    let alice = &nodes[0].node;
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    let secret = alice.add_item(&ns, draft("Tandem du grenier")).unwrap().item.id;
    sync_all(&nodes, &ns);
    alice.remove_item(&secret).unwrap();
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert_eq!(titles(&n.node), ["Perceuse"]);
        assert!(on_disk(n.dir.path(), "Tandem du grenier"), "the history keeps the removed title");
    }
    let old_epoch = alice.doc_bundle(&ns, &member(alice), &[]).unwrap();

    alice.forget_history(&ns).unwrap();
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert_eq!(titles(&n.node), ["Perceuse"]);
        assert!(!on_disk(n.dir.path(), "Tandem du grenier"), "still in {:?}", n.dir.path());
    }

    // The old epoch, replayed by a peer that still holds it, is refused without blame and
    // brings nothing back.
    let bob = &nodes[1].node;
    let refused = bob.import_bundle(&old_epoch).unwrap_err();
    assert!(refused.owner_not_standing(), "{refused}");
    assert_eq!(titles(bob), ["Perceuse"]);

    // Life goes on in the new epoch, on both of Alice's devices: edits travel as changes.
    nodes[3].node.add_item(&ns, draft("Échelle")).unwrap();
    let have = bob.doc_summaries(&ns).unwrap().into_iter().find(|s| s.owner == member(alice)).unwrap().heads;
    let bundle = nodes[3].node.doc_bundle(&ns, &member(alice), &have).unwrap();
    assert!(matches!(&bundle.payload, DocPayload::Changes(c) if c.len() == 1));
    bob.import_bundle(&bundle).unwrap();
    assert_eq!(titles(bob), ["Perceuse", "Échelle"]);
    // And a reopened replica keeps the epoch.
    let bob = nodes.remove(1).reopen();
    assert_eq!(titles(&bob.node), ["Perceuse", "Échelle"]);
    assert!(bob.node.import_bundle(&old_epoch).unwrap_err().owner_not_standing());
}

#[test]
fn after_erase_no_peer_holds_the_members_items_photos_or_name() {
    let (nodes, ns) = neighbourhood(&["Alice", "Barnabé Quichotte", "Chloé"]);
    let (alice, barnabe) = (&nodes[0].node, &nodes[1].node);
    let mower = barnabe
        .add_item(&ns, ItemDraft { max_loan_days: Some(7), ..draft("Tondeuse rouge de Barnabé") })
        .unwrap()
        .item
        .id;
    barnabe.add_item(&ns, draft("Raclette familiale")).unwrap();
    let photo = barnabe.add_photo(&mower, &partage_tests::photos::camera_jpeg(640, 480, 1)).unwrap();
    sync_all(&nodes, &ns);
    // The photo's blobs reach the neighbours as the network hands them over.
    let blobs = [
        (photo.thumbnail, barnabe.thumbnail(&photo).unwrap().unwrap()),
        (photo.original, barnabe.original_here(&photo).unwrap().unwrap()),
    ];
    for n in [&nodes[0], &nodes[2]] {
        assert_eq!(n.node.store_received_blobs(&ns, &blobs).unwrap(), 2);
    }
    // A stretch from the middle of each blob: the image data itself, as it would sit on disk.
    let pieces: Vec<Vec<u8>> = blobs.iter().map(|(_, b)| b[b.len() / 2..b.len() / 2 + 64].to_vec()).collect();
    let loan = alice
        .request_loan(&mower, &format_day(today() + 1), &format_day(today() + 3), "Merci Barnabé !")
        .unwrap();
    sync_all(&nodes, &ns);
    barnabe.accept_loan(&loan.id, "Avec plaisir").unwrap();
    sync_all(&nodes, &ns);
    for n in [&nodes[0], &nodes[2]] {
        assert!(on_disk(n.dir.path(), "Raclette familiale") && on_disk(n.dir.path(), "Barnabé Quichotte"));
        assert!(pieces.iter().all(|p| bytes_on_disk(n.dir.path(), p)), "the photo is on disk before");
    }

    barnabe.erase(&ns).unwrap();
    // Barnabé's device meets Alice only; Alice hands the erasure on to Chloé.
    push(barnabe, alice, &ns);
    push(alice, &nodes[2].node, &ns);
    let gone = member(barnabe);
    for n in [&nodes[0], &nodes[2]] {
        assert_eq!(titles(&n.node), Vec::<String>::new());
        assert!(n.node.members(&ns).unwrap().iter().all(|m| m.member != gone));
        for text in ["Tondeuse rouge de Barnabé", "Raclette familiale", "Barnabé Quichotte", "Avec plaisir"]
        {
            assert!(!on_disk(n.dir.path(), text), "{text:?} still in {:?}", n.dir.path());
        }
        assert!(n.node.stored_blobs().unwrap().is_empty(), "photo blobs kept");
        for piece in &pieces {
            assert!(!bytes_on_disk(n.dir.path(), piece), "photo bytes still in {:?}", n.dir.path());
        }
    }
    // The borrower keeps a minimal record of the loan in progress.
    let kept = alice.loan(&loan.id).unwrap();
    assert_eq!(kept.answer_message, "");
    // Barnabé's device kept only its departure: no neighbourhood listed, nobody else's data.
    assert!(barnabe.neighbourhoods().unwrap().is_empty());
    assert!(barnabe.has_left(&ns).unwrap());
    assert!(titles(barnabe).is_empty());
}

#[test]
fn a_member_who_left_gets_nothing_more_and_their_items_go() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    bob.add_item(&ns, draft("Scie")).unwrap();
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    sync_all(&nodes, &ns);
    let proof = bob.membership_proof(&ns).unwrap();
    let bob_device = bob.identity().unwrap().unwrap().device;
    assert!(alice.verify_peer_membership(&ns, &proof, &bob_device).is_ok());

    bob.leave(&ns).unwrap();
    push(bob, alice, &ns);
    assert_eq!(titles(alice), ["Perceuse"], "the leaver's items are dropped");
    let refused = alice.verify_peer_membership(&ns, &proof, &bob_device).unwrap_err();
    assert!(matches!(refused, partage::Error::Membership(partage::ChainError::Departed)), "{refused}");
    // What a peer still sends the leaver's device is refused there without blame.
    alice.add_item(&ns, draft("Échelle")).unwrap();
    let bundle = alice.doc_bundle(&ns, &member(alice), &[]).unwrap();
    assert!(bob.import_bundle(&bundle).unwrap_err().owner_not_standing());
    assert!(titles(bob).is_empty());
    // Leaving again forgets the departure too.
    bob.leave(&ns).unwrap();
    assert!(matches!(bob.has_left(&ns), Ok(false)));
    assert!(matches!(bob.membership_proof(&ns), Err(partage::Error::UnknownNeighbourhood(_))));
}

#[test]
fn only_the_device_with_the_member_key_makes_epochs() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0].node;
    let tablet = link(alice).node;
    assert!(matches!(tablet.forget_history(&ns), Err(partage::Error::NoMemberKey)));
    // Leaving on a linked device forgets that device's copy only.
    tablet.leave(&ns).unwrap();
    assert!(tablet.neighbourhoods().unwrap().is_empty());
    assert!(!alice.has_left(&ns).unwrap());
}

#[test]
fn a_member_cannot_erase_or_rebase_another_members_document() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    sync_all(&nodes, &ns);
    // Bob, hostile, writes an "erased" epoch 9 of Alice's document and signs it with his own
    // device key, offering his own certificate with it.
    let base = bob.doc_bundle(&ns, &member(alice), &[]).unwrap();
    let DocPayload::Snapshot(bytes) = &base.payload else { panic!("a snapshot") };
    let doc = partage::doc::MemberDoc::load(Some(bytes), Vec::new()).unwrap();
    let bob_key =
        partage::identity::SecretKey::from_bytes(&bob.export_data().unwrap().identity.device_secret);
    let bob_device = partage::DeviceId(bob_key.public());
    let (mut forged, change) = doc.rebased(bob_device, partage::doc_epoch::Departure::Erased).unwrap();
    let mine = bob.doc_bundle(&ns, &member(bob), &[]).unwrap();
    let bundle = partage::DocBundle {
        payload: DocPayload::Snapshot(forged.save()),
        attestations: vec![partage::attest::Attestation::sign(&bob_key, &ns, &member(alice), &change.hash())],
        devices: [base.devices.clone(), mine.devices.clone()].concat(),
        ..base
    };
    let refused = chloe.import_bundle(&bundle).unwrap_err();
    assert!(!refused.owner_not_standing(), "refused as forged, not as stale: {refused}");
    assert_eq!(titles(chloe), ["Perceuse"]);
    assert!(chloe.members(&ns).unwrap().iter().any(|m| m.name == "Alice"));
}

#[test]
fn a_small_document_edited_often_forgets_its_history_in_proportion_to_its_size() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let id = nodes[0].node.add_item(&ns, draft("Vélo rouge 0!")).unwrap().item.id;
    // Titles end with "!": "Vélo rouge 7!" is not found inside "Vélo rouge 70!".
    let edit = |node: &Node, i: u64| {
        let patch = partage::ItemPatch { title: Some(format!("Vélo rouge {i}!")), ..Default::default() };
        node.edit_item(&id, &patch).unwrap();
    };
    for i in 1..=partage::node::AUTO_REBASE_MIN_CHANGES {
        edit(&nodes[0].node, i);
    }
    sync_all(&nodes, &ns);
    assert!(on_disk(nodes[1].dir.path(), "Vélo rouge 7!"), "the history keeps old titles");
    // An edit stores two operations (the title and the time of the change), and the history
    // is looked at every quarter of its threshold: this many edits take a one-item document
    // past its period (`AUTO_REBASE_MIN_OPS` operations of history), far below the 12,000
    // operations of the compaction point, with no bulk import to help.
    let period = partage::node::AUTO_REBASE_MIN_OPS * 3 / 4;
    let mut last = partage::node::AUTO_REBASE_MIN_CHANGES;
    for _ in 0..period {
        last += 1;
        edit(&nodes[0].node, last);
    }
    assert!(!on_disk(nodes[0].dir.path(), "Vélo rouge 7!"), "Alice's store still has an old title");
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert_eq!(titles(&n.node), [format!("Vélo rouge {last}!")]);
        assert!(!on_disk(n.dir.path(), "Vélo rouge 7!"), "still in {:?}", n.dir.path());
    }
    // After a reopen the period counts from the stored snapshot: the history keeps being
    // forgotten, one period at a time.
    let TestNode { node, dir } = nodes.remove(0);
    drop(node);
    nodes.insert(0, TestNode { node: Node::open(dir.path()).unwrap(), dir });
    let before = last + 1;
    for _ in 0..2 * period {
        last += 1;
        edit(&nodes[0].node, last);
    }
    let gone = format!("Vélo rouge {before}!");
    assert!(!on_disk(nodes[0].dir.path(), &gone), "Alice's store still has {gone}");
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert_eq!(titles(&n.node), [format!("Vélo rouge {last}!")]);
        assert!(!on_disk(n.dir.path(), &gone), "{gone} still in {:?}", n.dir.path());
    }
}

#[test]
fn a_document_that_only_grows_is_not_rebased_for_growing() {
    let (nodes, ns) = neighbourhood(&["Chloé"]);
    let chloe = &nodes[0].node;
    let id = chloe.add_item(&ns, draft("Tandem vert")).unwrap().item.id;
    let patch = partage::ItemPatch { title: Some("Tandem bleu".into()), ..Default::default() };
    chloe.edit_item(&id, &patch).unwrap();
    // Items added one at a time, twice `AUTO_REBASE_MIN_OPS` operations and more than
    // `AUTO_REBASE_MIN_CHANGES` changes: added items are not history, one edit is too little.
    let adds = partage::node::AUTO_REBASE_MIN_OPS / 6;
    assert!(adds > partage::node::AUTO_REBASE_MIN_CHANGES);
    for i in 0..adds {
        chloe.add_item(&ns, draft(&format!("Outil {i}"))).unwrap();
    }
    assert!(on_disk(nodes[0].dir.path(), "Tandem vert"), "rebased for items added");
}

#[test]
fn a_long_edited_document_forgets_its_history_at_its_compaction_point() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    // A year of small edits on one device: every old title is in the history.
    let id = alice.add_item(&ns, draft("Vélo rouge 0")).unwrap().item.id;
    for i in 1..=partage::node::AUTO_REBASE_MIN_CHANGES {
        let patch = partage::ItemPatch { title: Some(format!("Vélo rouge {i}")), ..Default::default() };
        alice.edit_item(&id, &patch).unwrap();
    }
    sync_all(&nodes, &ns);
    assert!(on_disk(nodes[1].dir.path(), "Vélo rouge 7"), "the history keeps old titles");
    // About 220 operations so far, too few for a rebase (`AUTO_REBASE_MIN_OPS`). Then a catalogue
    // import brings the document to its compaction point (12,000 operations): instead of a
    // snapshot of the whole history, the document starts a new epoch.
    let catalogue: Vec<ItemDraft> = (0..1_000).map(|i| draft(&format!("Outil {i}"))).collect();
    let mut events = alice.subscribe();
    alice.add_items(&ns, catalogue).unwrap();
    assert!(!on_disk(nodes[0].dir.path(), "Vélo rouge 7"), "Alice's store still has an old title");
    // The rebase shows what the import already announced: each item is announced once.
    let mut added = 0;
    while let Some(event) = events.try_recv() {
        assert!(!matches!(event, partage::Event::Overflow { .. }), "events overflowed");
        added += usize::from(matches!(event, partage::Event::ItemAdded(_)));
    }
    assert_eq!(added, 1_000);
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert_eq!(n.node.search("Vélo", &ItemFilter::default()).unwrap().len(), 1);
        assert!(!on_disk(n.dir.path(), "Vélo rouge 7"), "still in {:?}", n.dir.path());
    }
    assert_eq!(bob.list_items(&ItemFilter::default()).unwrap().len(), 1_001);
    // A bulk import alone is one change: no history to forget, no rebase.
    let (nodes, ns) = neighbourhood(&["Chloé"]);
    let chloe = &nodes[0].node;
    chloe.add_item(&ns, draft("Scie sauteuse 0")).unwrap();
    let id = chloe.add_item(&ns, draft("Tandem vert")).unwrap().item.id;
    let patch = partage::ItemPatch { title: Some("Tandem bleu".into()), ..Default::default() };
    chloe.edit_item(&id, &patch).unwrap();
    chloe.add_items(&ns, (0..1_000).map(|i| draft(&format!("Outil {i}"))).collect()).unwrap();
    assert!(on_disk(nodes[0].dir.path(), "Tandem vert"), "rebased after a single edit");
}
