//! Changes from outside are verified before anything is applied: forged, unsigned, tampered,
//! foreign and oversized documents are rejected and leave the store exactly as it was.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use partage::attest::Attestation;
use partage::identity::Identity;
use partage::{DocBundle, DocPayload, Error, ItemFilter, NeighbourhoodId, VerifyError};
use partage_tests::{TestNode, draft, neighbourhood, push};

/// State a rejected import must not touch.
fn fingerprint(n: &TestNode, ns: &NeighbourhoodId) -> String {
    format!(
        "{:?}|{:?}|{:?}",
        n.node.list_items(&ItemFilter::default()).unwrap(),
        n.node.doc_summaries(ns).unwrap(),
        n.node.members(ns).unwrap()
    )
}

/// Alice's document with one extra change written by `writer` (not one of Alice's devices).
fn forged_bundle(alice: &TestNode, ns: &NeighbourhoodId, writer: &Identity, attest: bool) -> DocBundle {
    let owner = alice.node.identity().unwrap().unwrap().member;
    let genuine = alice.node.doc_bundle(ns, &owner, &[]).unwrap();
    let DocPayload::Snapshot(bytes) = &genuine.payload else { panic!("expected a snapshot") };
    let mut doc = AutoCommit::load(bytes).unwrap().with_actor(ActorId::from(writer.device_id().0.as_slice()));
    let heads = doc.get_heads();
    let (_, items) = doc.get(ROOT, "items").unwrap().unwrap();
    let obj = doc.put_object(&items, "00112233445566778899aabbccddeeff", ObjType::Map).unwrap();
    for (k, v) in [("title", "Stolen bike"), ("category", "mobility")] {
        doc.put(&obj, k, v).unwrap();
    }
    doc.put(&obj, "max_loan_days", automerge::ScalarValue::Uint(7)).unwrap();
    doc.put(&obj, "created_at", automerge::ScalarValue::Uint(1)).unwrap();
    doc.put(&obj, "updated_at", automerge::ScalarValue::Uint(1)).unwrap();
    doc.put(&obj, "available", true).unwrap();
    doc.commit();
    let change = doc.get_changes(&heads).pop().unwrap();
    let attestations =
        if attest { vec![Attestation::sign(&writer.device_key, ns, &owner, &change.hash())] } else { vec![] };
    DocBundle { payload: DocPayload::Changes(vec![change.raw_bytes().to_vec()]), attestations, ..genuine }
}

fn assert_rejected(
    target: TestNode,
    ns: &NeighbourhoodId,
    bundle: &DocBundle,
    check: impl Fn(&Error) -> bool,
) -> TestNode {
    let before = fingerprint(&target, ns);
    let err = target.node.import_bundle(bundle).unwrap_err();
    assert!(check(&err), "unexpected error: {err:?}");
    assert_eq!(fingerprint(&target, ns), before, "state changed after rejected import ({err})");
    let target = target.reopen();
    assert_eq!(fingerprint(&target, ns), before, "stored state changed after rejected import ({err})");
    target
}

#[test]
fn change_signed_by_a_non_owner_is_rejected() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    push(&nodes[0].node, &nodes[1].node, &ns);
    let mallory = Identity::generate("Mallory".into(), 1).unwrap();
    let bundle = forged_bundle(&nodes[0], &ns, &mallory, true);
    let bob = nodes.remove(1);
    let bob = assert_rejected(bob, &ns, &bundle, |e| matches!(e, Error::Rejected(VerifyError::Unsigned(_))));
    // Smuggling the forger's device certificate in as one of Alice's is caught too.
    let mut with_cert = bundle.clone();
    with_cert.devices.push(mallory.device_cert.clone());
    let bob =
        assert_rejected(bob, &ns, &with_cert, |e| matches!(e, Error::Rejected(VerifyError::ForeignDevice)));
    // Bob, a real member, cannot write into Alice's document either.
    let bob_identity = partage::store::IdentityRecord::clone(&bob.node.export_data().unwrap().identity)
        .to_identity()
        .unwrap();
    let by_bob = forged_bundle(&nodes[0], &ns, &bob_identity, true);
    assert_rejected(bob, &ns, &by_bob, |e| matches!(e, Error::Rejected(VerifyError::Unsigned(_))));
}

#[test]
fn unsigned_change_is_rejected() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    push(&nodes[0].node, &nodes[1].node, &ns);
    let mallory = Identity::generate("Mallory".into(), 1).unwrap();
    let bundle = forged_bundle(&nodes[0], &ns, &mallory, false);
    let bob = nodes.remove(1);
    assert_rejected(bob, &ns, &bundle, |e| matches!(e, Error::Rejected(VerifyError::Unsigned(_))));
    // A genuine change stripped of its signature is unsigned as well.
    let alice = nodes.remove(0);
    let owner = alice.node.identity().unwrap().unwrap().member;
    let fresh = TestNode::new("Chloé");
    let ticket = alice.node.invite(&ns, 1, 1, vec![]).unwrap();
    fresh.node.join(&ticket).unwrap();
    let mut bundle = alice.node.doc_bundle(&ns, &owner, &[]).unwrap();
    bundle.attestations.clear();
    assert_rejected(fresh, &ns, &bundle, |e| matches!(e, Error::Rejected(VerifyError::Unsigned(_))));
}

#[test]
fn tampered_changes_and_signatures_are_rejected() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    push(&nodes[0].node, &nodes[1].node, &ns);
    let alice = nodes.remove(0);
    let owner = alice.node.identity().unwrap().unwrap().member;
    let have =
        nodes[0].node.doc_summaries(&ns).unwrap().into_iter().find(|s| s.owner == owner).unwrap().heads;
    alice.node.add_item(&ns, draft("Échelle")).unwrap();
    let genuine = alice.node.doc_bundle(&ns, &owner, &have).unwrap();

    let mut flipped = genuine.clone();
    let DocPayload::Changes(changes) = &mut flipped.payload else { panic!("expected changes") };
    let last = changes[0].len() - 3;
    changes[0][last] ^= 0x55;
    let bob = nodes.remove(0);
    // Depending on the byte, automerge's chunk checksum catches it (malformed) or the change
    // decodes to different content whose hash no signature covers (unsigned): rejected either way.
    let bob = assert_rejected(bob, &ns, &flipped, |e| {
        matches!(e, Error::Rejected(VerifyError::Malformed(_) | VerifyError::Unsigned(_)))
    });

    let mut bad_sig = genuine.clone();
    bad_sig.attestations[0].sig[10] ^= 1;
    let bob =
        assert_rejected(bob, &ns, &bad_sig, |e| matches!(e, Error::Rejected(VerifyError::BadSignature(_))));

    let mut garbage = genuine.clone();
    garbage.payload = DocPayload::Snapshot(b"definitely not automerge".to_vec());
    let bob =
        assert_rejected(bob, &ns, &garbage, |e| matches!(e, Error::Rejected(VerifyError::Malformed(_))));

    // The genuine bundle still goes through afterwards.
    bob.node.import_bundle(&genuine).unwrap();
    assert_eq!(bob.node.search("echelle", &ItemFilter::default()).unwrap().len(), 1);
}

#[test]
fn documents_of_non_members_and_oversized_payloads_are_rejected() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    // Eve runs her own neighbourhood and tries to pass her document off as one of ours.
    let eve = TestNode::new("Eve");
    let eve_ns = eve.node.create_neighbourhood("Elsewhere").unwrap().id;
    eve.node.add_item(&eve_ns, draft("Spam")).unwrap();
    let eve_id = eve.node.identity().unwrap().unwrap().member;
    let mut bundle = eve.node.doc_bundle(&eve_ns, &eve_id, &[]).unwrap();
    bundle.neighbourhood = ns;
    let alice = nodes.remove(0);
    let alice = assert_rejected(alice, &ns, &bundle, |e| {
        matches!(e, Error::Rejected(VerifyError::NotMember(partage::ChainError::WrongRoot)))
    });
    // A neighbourhood we are not in at all.
    let original = eve.node.doc_bundle(&eve_ns, &eve_id, &[]).unwrap();
    let alice = assert_rejected(alice, &ns, &original, |e| matches!(e, Error::UnknownNeighbourhood(_)));

    let owner = nodes[0].node.identity().unwrap().unwrap().member;
    let mut huge = nodes[0].node.doc_bundle(&ns, &owner, &[]).unwrap();
    huge.payload = DocPayload::Changes(vec![vec![0u8; 64 * 1024 * 1024 + 1]]);
    assert_rejected(alice, &ns, &huge, |e| matches!(e, Error::Rejected(VerifyError::TooLarge { .. })));
}
