//! Whole documents checked and loaded off the node's lock, several at once
//! (`Node::prepare_whole_documents`), then imported (`Node::import_prepared_unflushed`): the
//! same documents as a plain import gives, and a prepared document is never let in for bytes,
//! a document or a state of the owner's devices other than the ones it was made for. Played
//! with a stolen, then revoked, device.

mod forged;

use partage::attest::Attestation;
use partage::identity::{DeviceCert, SecretKey};
use partage::node::MAX_PREPARED_DOCS;
use partage::{DeviceId, DocBundle, DocPayload, ItemFilter, MemberId, NeighbourhoodId, Node};
use partage_tests::{TestNode, draft, neighbourhood, push};

fn member(n: &Node) -> MemberId {
    n.identity().unwrap().unwrap().member
}

fn titles(n: &Node) -> Vec<String> {
    let mut t: Vec<String> =
        n.list_items(&ItemFilter::default()).unwrap().into_iter().map(|i| i.item.title).collect();
    t.sort();
    t
}

/// A member who just joined through `founder` and holds no one's document but their own.
fn newcomer(name: &str, founder: &Node, ns: &NeighbourhoodId) -> TestNode {
    let n = TestNode::new(name);
    n.node.join(&founder.invite(ns, 1, 1, vec![]).unwrap()).unwrap();
    push(&n.node, founder, ns);
    n
}

/// A neighbourhood where Alice holds Bob's and Chloé's documents, each with items.
fn street() -> (Vec<TestNode>, NeighbourhoodId, Vec<DocBundle>) {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    for (n, items) in nodes.iter().zip([["Perceuse", "Échelle"], ["Tente", "Scie"], ["Ponceuse", "Luge"]]) {
        for t in items {
            n.node.add_item(&ns, draft(t)).unwrap();
        }
    }
    for n in &nodes[1..] {
        push(&n.node, &nodes[0].node, &ns);
    }
    let alice = &nodes[0].node;
    let whole: Vec<DocBundle> = [&nodes[0], &nodes[1], &nodes[2]]
        .iter()
        .map(|n| alice.doc_bundle(&ns, &member(&n.node), &[]).unwrap())
        .collect();
    assert!(whole.iter().all(|b| matches!(b.payload, DocPayload::Snapshot(_))));
    (nodes, ns, whole)
}

#[test]
fn prepared_documents_import_as_a_plain_import_does() {
    let (nodes, ns, whole) = street();
    let alice = &nodes[0].node;
    let (dana, eve) = (newcomer("Dana", alice, &ns), newcomer("Eve", alice, &ns));
    let refs: Vec<&DocBundle> = whole.iter().collect();
    let prepared = dana.node.prepare_whole_documents(&refs);
    assert_eq!(prepared.len(), 3);
    assert!(prepared.iter().all(Option::is_some), "three documents Dana holds nothing of: all prepared");
    for (bundle, prepared) in whole.iter().zip(prepared) {
        let with = dana.node.import_prepared_unflushed(bundle, prepared).unwrap();
        let without = eve.node.import_bundle(bundle).unwrap();
        assert_eq!(with, without);
    }
    dana.node.flush().unwrap();
    assert_eq!(titles(&dana.node), titles(&eve.node));
    assert_eq!(titles(&dana.node), ["Luge", "Perceuse", "Ponceuse", "Scie", "Tente", "Échelle"]);
    let of_the_three = |n: &Node| -> Vec<_> {
        let owners: Vec<MemberId> = whole.iter().map(|b| b.owner).collect();
        n.doc_summaries(&ns).unwrap().into_iter().filter(|s| owners.contains(&s.owner)).collect()
    };
    assert_eq!(of_the_three(&dana.node), of_the_three(&eve.node));

    // Durable: after a reopen the same documents are there.
    let dana = dana.reopen();
    assert_eq!(titles(&dana.node), ["Luge", "Perceuse", "Ponceuse", "Scie", "Tente", "Échelle"]);
}

#[test]
fn a_prepared_document_is_used_only_for_the_bytes_and_document_it_was_made_from() {
    let (nodes, ns, whole) = street();
    let alice = &nodes[0].node;
    let dana = newcomer("Dana", alice, &ns);
    let refs: Vec<&DocBundle> = whole.iter().collect();
    let mut prepared = dana.node.prepare_whole_documents(&refs);

    // Bob's prepared document handed in with Chloé's bundle: Chloé's items, under Chloé.
    let bobs = prepared.remove(1);
    dana.node.import_prepared_unflushed(&whole[2], bobs).unwrap();
    assert_eq!(titles(&dana.node), ["Luge", "Ponceuse"]);

    // Alice's document prepared, then Alice adds an item: the newer bundle brings the newer
    // document, not the one prepared from the older bytes.
    let alices = prepared.remove(0);
    alice.add_item(&ns, draft("Brouette")).unwrap();
    let newer = alice.doc_bundle(&ns, &member(alice), &[]).unwrap();
    dana.node.import_prepared_unflushed(&newer, alices).unwrap();
    assert_eq!(titles(&dana.node), ["Brouette", "Luge", "Perceuse", "Ponceuse", "Échelle"]);

    // Bob's document prepared, then received another way: the prepared copy, arriving second,
    // does not replace the one now held (it is merged, and brings nothing new).
    let again = dana.node.prepare_whole_documents(&[&whole[1], &whole[1]]).remove(0);
    assert!(again.is_some());
    dana.node.import_bundle(&whole[1]).unwrap();
    let late = dana.node.import_prepared_unflushed(&whole[1], again).unwrap();
    assert_eq!(late, partage::ImportReport::default(), "nothing new from a document already held");
}

#[test]
fn a_document_prepared_before_its_signer_was_revoked_is_not_let_in() {
    let (nodes, ns) = neighbourhood(&["Alice"]);
    let alice = &nodes[0].node;
    let me = member(alice);
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    // Alice's phone, certified by her member key, then stolen.
    let member_key = SecretKey::from_bytes(&alice.export_data().unwrap().identity.member_secret.unwrap());
    let phone = SecretKey::generate().unwrap();
    let cert = DeviceCert::issue(&member_key, DeviceId(phone.public()), 1);
    // The thief's whole document: Alice's with a "Volé" item on top, its head signed by the phone.
    let stolen = whole_document_signed_by(alice, &ns, &me, &phone, &cert, "Volé");

    // Dana meets the thief's document first and prepares it (the phone is not revoked yet as
    // far as anyone knows)...
    let dana = newcomer("Dana", alice, &ns);
    let prepared = dana.node.prepare_whole_documents(&[&stolen, &stolen]);
    assert!(prepared.iter().all(Option::is_some), "a valid signature when prepared");
    // ...then Alice revokes the phone, and her document reaches Dana with the revocation.
    alice.revoke_device(&DeviceId(phone.public())).unwrap();
    push(alice, &dana.node, &ns);
    assert_eq!(titles(&dana.node), ["Perceuse"]);

    // The prepared document arrives late: refused, and nothing of it applied.
    for prepared in prepared {
        let err = dana.node.import_prepared_unflushed(&stolen, prepared).unwrap_err();
        assert!(err.to_string().contains("revoked"), "{err}");
    }
    assert_eq!(titles(&dana.node), ["Perceuse"]);
}

#[test]
fn only_members_documents_are_prepared_and_a_bounded_number_at_once() {
    let (nodes, ns, whole) = street();
    let dana = newcomer("Dana", &nodes[0].node, &ns);
    let many: Vec<&DocBundle> = std::iter::repeat_n(&whole[0], MAX_PREPARED_DOCS + 4).collect();
    let prepared = dana.node.prepare_whole_documents(&many);
    assert_eq!(prepared.len(), many.len());
    assert_eq!(prepared.iter().filter(|p| p.is_some()).count(), MAX_PREPARED_DOCS);
    // A document whose owner's chain is not of this neighbourhood (another street's member,
    // relabelled) or names someone else: nothing is loaded for it.
    let (elsewhere, other_ns) = neighbourhood(&["Zoé"]);
    elsewhere[0].node.add_item(&other_ns, draft("Tondeuse")).unwrap();
    let mut foreign = elsewhere[0].node.doc_bundle(&other_ns, &member(&elsewhere[0].node), &[]).unwrap();
    foreign.neighbourhood = ns;
    let mut renamed = whole[0].clone();
    renamed.owner = whole[1].owner;
    assert!(dana.node.prepare_whole_documents(&[&foreign, &renamed]).iter().all(Option::is_none));
    // A member revoked before Dana met her document: nothing is loaded for it either.
    let alice = &nodes[0].node;
    alice.revoke(&ns, &whole[2].owner).unwrap();
    dana.node.apply_revocations(&ns, &alice.revocations(&ns).unwrap()).unwrap();
    assert!(dana.node.prepare_whole_documents(&[&whole[2], &whole[2]]).iter().all(Option::is_none));
    // A document Dana holds already is not prepared: the import merges it instead.
    dana.node.import_bundle(&whole[0]).unwrap();
    assert!(dana.node.prepare_whole_documents(&[&whole[0], &whole[0]]).iter().all(Option::is_none));
}

/// `owner`'s whole document as `holder` has it, with one more item titled `title` whose change
/// `device` made and signed (with its certificate in the bundle).
fn whole_document_signed_by(
    holder: &Node,
    ns: &NeighbourhoodId,
    owner: &MemberId,
    device: &SecretKey,
    cert: &DeviceCert,
    title: &str,
) -> DocBundle {
    let forged::Extended { base, mut doc, head } = forged::with_item(holder, ns, owner, title);
    let mut devices = base.devices.clone();
    devices.push(cert.clone());
    DocBundle {
        payload: DocPayload::Snapshot(doc.save()),
        attestations: vec![Attestation::sign(device, ns, owner, &head)],
        devices,
        ..base
    }
}
