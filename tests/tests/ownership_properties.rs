//! Property test: members write random documents, some of them hostile (their own keys, a
//! modified client): items written under other members' item ids (with the victim's own nonce
//! or a fresh one), copies of other members' loan records, and "acceptances" of loans they do
//! not lend. Documents then arrive in random orders. At every step, every replica shows each
//! item only with its real owner and content its owner wrote; in the end every replica shows
//! the same items and the same loans, and no hostile record changed any of them.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use partage::attest::Attestation;
use partage::identity::SecretKey;
use partage::{
    DocBundle, DocPayload, ItemFilter, ItemId, ItemPatch, LoanFilter, MemberId, NeighbourhoodId, Node,
};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug)]
enum Op {
    Add {
        who: usize,
        title: u8,
    },
    Edit {
        who: usize,
        pick: usize,
        title: u8,
    },
    Request {
        who: usize,
        pick: usize,
    },
    /// Write an item under someone else's id; `victim_nonce` copies their nonce too.
    HijackItem {
        who: usize,
        pick: usize,
        victim_nonce: bool,
        title: u8,
    },
    /// Copy someone else's loan record (id, nonce and all) into one's own borrowing map.
    CopyLoan {
        who: usize,
        pick: usize,
    },
    /// Write an acceptance of someone else's loan as if one were its lender.
    FakeAccept {
        who: usize,
        pick: usize,
    },
    Push {
        from: usize,
        to: usize,
    },
}

const MEMBERS: usize = 4;

fn op() -> impl Strategy<Value = Op> {
    let who = 0..MEMBERS;
    prop_oneof![
        3 => (who.clone(), 0..20u8).prop_map(|(who, title)| Op::Add { who, title }),
        2 => (who.clone(), any::<usize>(), 0..20u8).prop_map(|(who, pick, title)| Op::Edit { who, pick, title }),
        2 => (who.clone(), any::<usize>()).prop_map(|(who, pick)| Op::Request { who, pick }),
        2 => (who.clone(), any::<usize>(), any::<bool>(), 0..20u8)
            .prop_map(|(who, pick, victim_nonce, title)| Op::HijackItem { who, pick, victim_nonce, title }),
        1 => (who.clone(), any::<usize>()).prop_map(|(who, pick)| Op::CopyLoan { who, pick }),
        1 => (who.clone(), any::<usize>()).prop_map(|(who, pick)| Op::FakeAccept { who, pick }),
        5 => (who.clone(), who).prop_map(|(from, to)| Op::Push { from, to }),
    ]
}

fn member(n: &Node) -> MemberId {
    n.identity().unwrap().unwrap().member
}

/// Writes `f`'s operations into `node`'s own document as a correctly signed change (what a
/// modified client with the member's own keys can do), and imports it there.
fn hostile_write(node: &Node, ns: &NeighbourhoodId, f: impl FnOnce(&mut AutoCommit)) {
    let me = member(node);
    let base = node.doc_bundle(ns, &me, &[]).unwrap();
    let DocPayload::Snapshot(bytes) = &base.payload else { panic!("a snapshot") };
    let mut doc = AutoCommit::load(bytes).unwrap().with_actor(ActorId::random());
    f(&mut doc);
    let Some(hash) = doc.commit() else { return };
    let change = doc.get_change_by_hash(&hash).unwrap();
    let key = SecretKey::from_bytes(&node.device_secret().unwrap());
    let bundle = DocBundle {
        payload: DocPayload::Changes(vec![change.raw_bytes().to_vec()]),
        attestations: vec![Attestation::sign(&key, ns, &me, &hash)],
        ..base
    };
    node.import_bundle(&bundle).unwrap();
}

/// The map under `path` in `owner`'s document as `node` holds it, and the bytes of `field`.
fn field_bytes(
    node: &Node,
    ns: &NeighbourhoodId,
    owner: &MemberId,
    path: [&str; 2],
    field: &str,
) -> Option<Vec<u8>> {
    let b = node.doc_bundle(ns, owner, &[]).ok()?;
    let DocPayload::Snapshot(bytes) = &b.payload else { return None };
    let doc = AutoCommit::load(bytes).ok()?;
    let (_, top) = doc.get(ROOT, path[0]).ok()??;
    let (_, rec) = doc.get(&top, path[1]).ok()??;
    match doc.get(&rec, field).ok()?? {
        (Value::Scalar(s), _) => match s.into_owned() {
            ScalarValue::Bytes(b) => Some(b),
            _ => None,
        },
        _ => None,
    }
}

fn child(doc: &mut AutoCommit, parent: &automerge::ObjId, key: &str) -> automerge::ObjId {
    match doc.get(parent, key).unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => doc.put_object(parent, key, ObjType::Map).unwrap(),
    }
}

/// What every replica must show: per item id, its owner and every title its owner gave it.
#[derive(Default)]
struct Truth {
    owner: HashMap<ItemId, MemberId>,
    titles: HashMap<ItemId, HashSet<String>>,
}

fn check_replica(node: &Node, truth: &Truth) -> Result<(), TestCaseError> {
    for item in node.list_items(&ItemFilter::default()).unwrap() {
        let id = item.item.id;
        prop_assert_eq!(truth.owner.get(&id), Some(&item.item.owner), "item shown with a false owner");
        prop_assert!(
            truth.titles.get(&id).is_some_and(|t| t.contains(&item.item.title)),
            "item {} shows a title its owner never wrote: {}",
            id,
            item.item.title
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn every_replica_shows_each_item_with_its_real_owner(ops in prop::collection::vec(op(), 10..40)) {
        let (nodes, ns) = neighbourhood(&["Ana", "Ben", "Cléo", "Dan"]);
        let ids: Vec<MemberId> = nodes.iter().map(|n| member(&n.node)).collect();
        let mut truth = Truth::default();
        let mut all_items: Vec<(usize, ItemId)> = Vec::new();
        let mut loans: Vec<(usize, partage::LoanId)> = Vec::new();
        for op in ops {
            match op {
                Op::Add { who, title } => {
                    let title = format!("Objet {title} de {who}");
                    let v = nodes[who].node.add_item(&ns, draft(&title)).unwrap();
                    truth.owner.insert(v.item.id, ids[who]);
                    truth.titles.entry(v.item.id).or_default().insert(title);
                    all_items.push((who, v.item.id));
                }
                Op::Edit { who, pick, title } => {
                    let mine: Vec<ItemId> = all_items.iter().filter(|(o, _)| *o == who).map(|(_, i)| *i).collect();
                    if mine.is_empty() { continue; }
                    let id = mine[pick % mine.len()];
                    let title = format!("Objet {title} de {who} (modifié)");
                    let patch = ItemPatch { title: Some(title.clone()), ..ItemPatch::default() };
                    nodes[who].node.edit_item(&id, &patch).unwrap();
                    truth.titles.entry(id).or_default().insert(title);
                }
                Op::Request { who, pick } => {
                    let theirs: Vec<ItemId> = all_items
                        .iter()
                        .filter(|(o, i)| *o != who && nodes[who].node.item(i).is_ok())
                        .map(|(_, i)| *i)
                        .collect();
                    if theirs.is_empty() { continue; }
                    let item = theirs[pick % theirs.len()];
                    if let Ok(v) = nodes[who].node.request_loan(&item, "2099-01-01", "2099-01-02", "") {
                        loans.push((who, v.id));
                    }
                }
                Op::HijackItem { who, pick, victim_nonce, title } => {
                    let theirs: Vec<(usize, ItemId)> = all_items.iter().filter(|(o, _)| *o != who).copied().collect();
                    if theirs.is_empty() { continue; }
                    let (victim, id) = theirs[pick % theirs.len()];
                    let nonce = if victim_nonce {
                        match field_bytes(&nodes[who].node, &ns, &ids[victim], ["items", &id.to_hex()], "id_nonce") {
                            Some(n) => n,
                            None => continue, // the attacker has not seen the victim's item yet
                        }
                    } else {
                        vec![7; 16]
                    };
                    hostile_write(&nodes[who].node, &ns, |doc| {
                        let items = child(doc, &ROOT, "items");
                        let obj = doc.put_object(&items, id.to_hex().as_str(), ObjType::Map).unwrap();
                        doc.put(&obj, "id_nonce", ScalarValue::Bytes(nonce)).unwrap();
                        doc.put(&obj, "title", format!("Volé {title}")).unwrap();
                        doc.put(&obj, "category", "tools").unwrap();
                        doc.put(&obj, "max_loan_days", ScalarValue::Uint(14)).unwrap();
                        doc.put(&obj, "available", true).unwrap();
                        doc.put(&obj, "created_at", ScalarValue::Uint(1)).unwrap();
                        doc.put(&obj, "updated_at", ScalarValue::Uint(u64::MAX / 2)).unwrap();
                    });
                }
                Op::CopyLoan { who, pick } => {
                    let theirs: Vec<(usize, partage::LoanId)> = loans.iter().filter(|(o, _)| *o != who).copied().collect();
                    if theirs.is_empty() { continue; }
                    let (victim, id) = theirs[pick % theirs.len()];
                    let Ok(view) = nodes[who].node.loan(&id) else { continue };
                    let nonce = field_bytes(&nodes[who].node, &ns, &ids[victim], ["borrowing", &id.to_hex()], "id_nonce")
                        .unwrap_or_else(|| vec![1; 16]);
                    hostile_write(&nodes[who].node, &ns, |doc| {
                        let root = child(doc, &ROOT, "borrowing");
                        let obj = doc.put_object(&root, id.to_hex().as_str(), ObjType::Map).unwrap();
                        doc.put(&obj, "id_nonce", ScalarValue::Bytes(nonce)).unwrap();
                        doc.put(&obj, "lender", view.lender.to_hex()).unwrap();
                        doc.put(&obj, "item", view.item.to_hex()).unwrap();
                        doc.put(&obj, "from", ScalarValue::Int(view.from_day)).unwrap();
                        doc.put(&obj, "until", ScalarValue::Int(view.until_day)).unwrap();
                        doc.put(&obj, "requested_at", ScalarValue::Uint(1)).unwrap();
                    });
                }
                Op::FakeAccept { who, pick } => {
                    if loans.is_empty() { continue; }
                    let (borrower, id) = loans[pick % loans.len()];
                    let Ok(view) = nodes[who].node.loan(&id) else { continue };
                    if view.lender == ids[who] { continue; } // that would be a real acceptance
                    hostile_write(&nodes[who].node, &ns, |doc| {
                        let root = child(doc, &ROOT, "lending");
                        let key = format!("{}.{}", id.to_hex(), ids[borrower].to_hex());
                        let obj = doc.put_object(&root, key.as_str(), ObjType::Map).unwrap();
                        doc.put(&obj, "accepted_at", ScalarValue::Uint(5)).unwrap();
                        doc.put(&obj, "handed_over_at", ScalarValue::Uint(6)).unwrap();
                    });
                }
                Op::Push { from, to } => {
                    if from != to {
                        push(&nodes[from].node, &nodes[to].node, &ns);
                    }
                }
            }
            for n in &nodes {
                check_replica(&n.node, &truth)?;
            }
        }
        sync_all(&nodes, &ns);
        let reference = listing(&nodes[0]);
        // Every item of every member, with its owner's latest content, on every replica.
        for (who, n) in nodes.iter().enumerate() {
            check_replica(&n.node, &truth)?;
            prop_assert_eq!(&listing(n), &reference, "replica {} differs", who);
            let own = n.node.list_items(&ItemFilter { owner: Some(ids[who]), ..ItemFilter::default() }).unwrap();
            for item in own {
                prop_assert!(reference.contains(&(item.item.id, item.item.owner, item.item.title.clone())));
            }
        }
        prop_assert_eq!(reference.len(), truth.owner.len());
        // Loans: identical everywhere, none accepted (only fake acceptances were written), and
        // each id only once, as its real borrower requested it.
        let loans_ref = loan_rows(&nodes[0]);
        for n in &nodes {
            prop_assert_eq!(&loan_rows(n), &loans_ref);
        }
        prop_assert_eq!(loans_ref.len(), loans.len());
        for (id, borrower, state) in &loans_ref {
            prop_assert!(loans.contains(&(ids.iter().position(|m| m == borrower).unwrap(), *id)));
            prop_assert_eq!(state.as_str(), "requested");
        }
    }
}

fn listing(n: &TestNode) -> Vec<(ItemId, MemberId, String)> {
    let mut v: Vec<_> = n
        .node
        .list_items(&ItemFilter::default())
        .unwrap()
        .into_iter()
        .map(|i| (i.item.id, i.item.owner, i.item.title))
        .collect();
    v.sort();
    v
}

fn loan_rows(n: &TestNode) -> Vec<(partage::LoanId, MemberId, partage::LoanState)> {
    let mut v: Vec<_> = n
        .node
        .loans(&LoanFilter::default())
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.borrower, l.state))
        .collect();
    v.sort_by_key(|r| (r.0, r.1));
    v
}
