//! A hostile member writes absurd loan records into their own, correctly signed document.
//! An honest node imports the document without panicking (tests run as debug builds, where
//! arithmetic overflow panics), keeps the valid records, refuses each bad one with a reason
//! that names the problem, and keeps working.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use partage::attest::Attestation;
use partage::clock::{format_day, now_ms, parse_day, today};
use partage::{
    DocBundle, DocPayload, Error, ItemDraft, ItemId, LoanError, LoanFilter, LoanId, LoanState, MemberId,
    NeighbourhoodId, Reminder,
};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};

const MB: usize = 1024 * 1024;

fn day(offset: i64) -> String {
    format_day(today() + offset)
}

fn map_in(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> ObjId {
    match doc.get(parent, key).unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => doc.put_object(parent, key, ObjType::Map).unwrap(),
    }
}

/// Loan `n` of `borrower`: an id bound to them (as `request_loan` makes it) and its nonce.
fn loan_id(ns: &NeighbourhoodId, borrower: &MemberId, n: u8) -> (LoanId, [u8; 16]) {
    let nonce = [n; 16];
    (LoanId::bound(ns, borrower, &nonce), nonce)
}

/// A borrowing record with every field an honest one has, then `tweak` on top.
fn borrowing(
    doc: &mut AutoCommit,
    (id, nonce): (LoanId, [u8; 16]),
    lender: &MemberId,
    item: &ItemId,
    from: i64,
    until: i64,
    tweak: impl FnOnce(&mut AutoCommit, &ObjId),
) {
    let root = map_in(doc, &ROOT, "borrowing");
    let obj = doc.put_object(&root, id.to_hex().as_str(), ObjType::Map).unwrap();
    doc.put(&obj, "id_nonce", ScalarValue::Bytes(nonce.to_vec())).unwrap();
    doc.put(&obj, "lender", lender.to_hex()).unwrap();
    doc.put(&obj, "item", item.to_hex()).unwrap();
    doc.put(&obj, "from", ScalarValue::Int(from)).unwrap();
    doc.put(&obj, "until", ScalarValue::Int(until)).unwrap();
    doc.put(&obj, "message", "Bonjour").unwrap();
    doc.put(&obj, "requested_at", ScalarValue::Uint(now_ms())).unwrap();
    tweak(doc, &obj);
}

fn lending(
    doc: &mut AutoCommit,
    id: LoanId,
    borrower: &MemberId,
    tweak: impl FnOnce(&mut AutoCommit, &ObjId),
) {
    let root = map_in(doc, &ROOT, "lending");
    let key = format!("{}.{}", id.to_hex(), borrower.to_hex());
    let obj = doc.put_object(&root, key.as_str(), ObjType::Map).unwrap();
    tweak(doc, &obj);
}

/// What each bad record is, and the words its refusal must contain.
struct Bad {
    id: LoanId,
    reason: &'static str,
}

#[test]
fn absurd_loan_records_are_refused_and_the_node_keeps_working() {
    let (nodes, ns) = neighbourhood(&["Alice", "Mallory", "Bob"]);
    let (alice, mallory, bob) = (&nodes[0], &nodes[1], &nodes[2]);
    let alice_id = alice.node.identity().unwrap().unwrap().member;
    let mallory_id = mallory.node.identity().unwrap().unwrap().member;
    let drill =
        alice.node.add_item(&ns, ItemDraft { max_loan_days: Some(7), ..draft("Perceuse") }).unwrap().item.id;
    let ladder = mallory.node.add_item(&ns, draft("Échelle")).unwrap().item.id;
    sync_all(&nodes, &ns);
    // Honest traffic first: Mallory asks for the drill, Alice for the ladder.
    let genuine_request = mallory.node.request_loan(&drill, &day(1), &day(2), "").unwrap();
    let alice_request = alice.node.request_loan(&ladder, &day(3), &day(4), "").unwrap();
    sync_all(&nodes, &ns);

    // Mallory's own device writes the rest by hand, and signs it properly.
    let mallory_identity =
        partage::store::IdentityRecord::clone(&mallory.node.export_data().unwrap().identity)
            .to_identity()
            .unwrap();
    let genuine = mallory.node.doc_bundle(&ns, &mallory_id, &[]).unwrap();
    let DocPayload::Snapshot(bytes) = &genuine.payload else { panic!("expected a snapshot") };
    let mut doc =
        AutoCommit::load(bytes).unwrap().with_actor(ActorId::from(mallory_identity.device_id().0.as_slice()));
    let heads = doc.get_heads();
    let t = today();
    // Mallory's loans are bound to Mallory; those she "lends" to Alice are bound to Alice.
    let id = |n: u8| loan_id(&ns, &mallory_id, n);
    let alice_loan = |n: u8| loan_id(&ns, &alice_id, n).0;
    let ok = |_: &mut AutoCommit, _: &ObjId| {};

    // Valid records, written by hand: a second request for the drill, an acceptance of Alice's.
    let valid_request = id(1).0;
    borrowing(&mut doc, id(1), &alice_id, &drill, t + 10, t + 12, ok);
    lending(&mut doc, alice_request.id, &alice_id, |d, o| {
        d.put(o, "accepted_at", ScalarValue::Uint(now_ms())).unwrap();
        d.put(o, "answer_message", "Avec plaisir").unwrap();
    });

    let mut bad = Vec::new();
    let mut bad_borrowing =
        |n: u8, from: i64, until: i64, reason, tweak: &dyn Fn(&mut AutoCommit, &ObjId)| {
            borrowing(&mut doc, id(n), &alice_id, &drill, from, until, tweak);
            bad.push(Bad { id: id(n).0, reason });
        };
    bad_borrowing(10, t, i64::MAX, "last day is out of range: day number 9223372036854775807", &ok);
    bad_borrowing(11, i64::MIN, t, "first day is out of range: day number -9223372036854775808", &ok);
    bad_borrowing(12, t, 2_932_897, "last day is out of range: 10000-01-01", &ok);
    bad_borrowing(13, -1, t, "first day is out of range: 1969-12-31", &ok);
    bad_borrowing(14, t + 5, t + 2, "before it starts", &ok);
    bad_borrowing(15, t, t + 400, "it lasts 401 days, more than the 365", &ok);
    bad_borrowing(16, t, t, "until is not a day number", &|d, o| {
        d.put(o, "until", ScalarValue::Uint(u64::MAX)).unwrap();
    });
    bad_borrowing(17, t, t + 1, "message is too long (1048576 characters, at most 1000)", &|d, o| {
        d.put(o, "message", "x".repeat(MB)).unwrap();
    });
    bad_borrowing(18, t, t + 1, "it has 100000 extension requests, more than 64", &|d, o| {
        let ext = d.put_object(o, "ext", ObjType::Map).unwrap();
        for seq in 1..=100_000u32 {
            d.put(&ext, seq.to_string().as_str(), ScalarValue::Int(t + 2)).unwrap();
        }
    });
    bad_borrowing(19, t, t + 1, "requested_at time 18446744073709551615 is out of range", &|d, o| {
        d.put(o, "requested_at", ScalarValue::Uint(u64::MAX)).unwrap();
    });
    bad_borrowing(20, t, t + 1, "last day of extension request 1 is out of range", &|d, o| {
        let ext = d.put_object(o, "ext", ObjType::Map).unwrap();
        d.put(&ext, "1", ScalarValue::Int(i64::MAX)).unwrap();
    });
    let mut bad_lending = |n: u8, reason, tweak: &dyn Fn(&mut AutoCommit, &ObjId)| {
        lending(&mut doc, alice_loan(n), &alice_id, tweak);
        bad.push(Bad { id: alice_loan(n), reason });
    };
    bad_lending(30, "accepted_at time 18446744073709551615 is out of range", &|d, o| {
        d.put(o, "accepted_at", ScalarValue::Uint(u64::MAX)).unwrap();
    });
    bad_lending(31, "answer message is too long (1048576 characters", &|d, o| {
        d.put(o, "answer_message", "é".repeat(MB)).unwrap();
    });
    bad_lending(32, "it has 1000 extension answers, more than 64", &|d, o| {
        let answers = d.put_object(o, "ext_answers", ObjType::Map).unwrap();
        for seq in 1..=1_000u32 {
            d.put(&answers, seq.to_string().as_str(), true).unwrap();
        }
    });
    doc.commit();
    let change = doc.get_changes(&heads).pop().unwrap();
    let attestation = Attestation::sign(&mallory_identity.device_key, &ns, &mallory_id, &change.hash());
    let bundle = DocBundle {
        payload: DocPayload::Changes(vec![change.raw_bytes().to_vec()]),
        attestations: vec![attestation],
        ..genuine
    };

    let report = alice.node.import_bundle(&bundle).expect("a signed document imports");
    assert_eq!(report.new_changes, 1);
    for b in &bad {
        let named = format!("loan {} from member {}", b.id.short(), mallory_id.short());
        let found = report.refused_records.iter().find(|r| r.starts_with(&named));
        let found = found.unwrap_or_else(|| panic!("no refusal for {named}: {:#?}", report.refused_records));
        assert!(found.contains(b.reason), "{found:?} does not say {:?}", b.reason);
        assert!(found.len() < 300, "reason too long: {} bytes", found.len());
    }
    assert_eq!(report.refused_records.len(), bad.len(), "{:#?}", report.refused_records);

    // The valid parts made it; the bad records did not.
    assert_eq!(alice.node.loan(&valid_request).unwrap().state, LoanState::Requested);
    assert_eq!(alice.node.loan(&genuine_request.id).unwrap().state, LoanState::Requested);
    let accepted = alice.node.loan(&alice_request.id).unwrap();
    assert_eq!((accepted.state, accepted.answer_message.as_str()), (LoanState::Accepted, "Avec plaisir"));
    check_views(alice, &ns, &bad, &mallory_id);

    // Another replica refuses exactly the same records and shows the same loans.
    push(&alice.node, &bob.node, &ns);
    let all = LoanFilter::default();
    let states = |n: &TestNode| -> Vec<_> {
        n.node.loans(&all).unwrap().into_iter().map(|v| (v.id, v.borrower, v.state, v.until)).collect()
    };
    assert_eq!(states(bob), states(alice));
    assert_eq!(states(alice).len(), 3);

    // The node keeps working: the mutex is not poisoned, moves and adds go through.
    alice.node.accept_loan(&valid_request, "D'accord").unwrap();
    let saw = alice.node.add_item(&ns, draft("Scie sauteuse")).unwrap();
    assert_eq!(saw.item.title, "Scie sauteuse");
    let again = alice.node.request_loan(&ladder, &day(20), &day(21), "Encore").unwrap();
    assert_eq!(again.state, LoanState::Requested);

    // And after a restart, from the store.
    let mut nodes = nodes;
    let alice = nodes.remove(0).reopen();
    assert_eq!(alice.node.loan(&valid_request).unwrap().state, LoanState::Accepted);
    check_views(&alice, &ns, &bad, &mallory_id);
}

/// Listings, reminders, calendar and trust work, and show none of the refused records.
fn check_views(node: &TestNode, ns: &NeighbourhoodId, bad: &[Bad], mallory: &MemberId) {
    let all = node.node.loans(&LoanFilter::default()).unwrap();
    assert!(all.len() >= 3, "{all:#?}");
    for b in bad {
        assert!(all.iter().all(|v| v.id != b.id), "refused loan {} is listed", b.id.short());
        let err = node.node.loan(&b.id).unwrap_err();
        assert!(matches!(err, Error::Loan(LoanError::UnknownLoan(_))), "{err:?}");
    }
    for v in &all {
        assert!(parse_day(&v.from).is_some() && parse_day(&v.until).is_some(), "{v:?}");
    }
    let reminders = node.node.reminders(None).unwrap();
    assert!(reminders.iter().any(|r| matches!(r, Reminder::NewRequest { .. })), "{reminders:#?}");
    for on in ["1970-01-01", "9999-12-31"] {
        node.node.reminders(Some(on)).unwrap();
        assert_eq!(node.node.loans_on(&LoanFilter::default(), on).unwrap().len(), all.len());
    }
    let trust = node.node.trust(ns, mallory).unwrap();
    assert_eq!((trust.completed_as_borrower, trust.completed_as_lender), (0, 0));
}
