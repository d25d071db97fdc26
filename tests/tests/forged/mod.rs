//! A member document as a thief holding one of the member's certified device keys would extend
//! it: one more item, made with automerge outside any node.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use partage::{DocBundle, DocPayload, MemberId, NeighbourhoodId, Node};

/// `owner`'s whole document as `holder` has it (`base`), and that document with one more item
/// titled `title` (`doc`, whose new head is `head`).
pub struct Extended {
    pub base: DocBundle,
    pub doc: AutoCommit,
    pub head: ChangeHash,
}

pub fn with_item(holder: &Node, ns: &NeighbourhoodId, owner: &MemberId, title: &str) -> Extended {
    let base = holder.doc_bundle(ns, owner, &[]).unwrap();
    let DocPayload::Snapshot(bytes) = &base.payload else { panic!("a snapshot") };
    let mut doc = AutoCommit::load(bytes).unwrap().with_actor(ActorId::random());
    let items = match doc.get(ROOT, "items").unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => panic!("no items map"),
    };
    let (id, nonce) = partage::ItemId::new_bound(ns, owner).unwrap();
    let obj = doc.put_object(&items, id.to_hex().as_str(), ObjType::Map).unwrap();
    doc.put(&obj, "id_nonce", ScalarValue::Bytes(nonce.to_vec())).unwrap();
    doc.put(&obj, "title", title).unwrap();
    doc.put(&obj, "category", "tools").unwrap();
    doc.put(&obj, "max_loan_days", ScalarValue::Uint(7)).unwrap();
    doc.put(&obj, "available", true).unwrap();
    doc.put(&obj, "created_at", ScalarValue::Uint(1)).unwrap();
    doc.put(&obj, "updated_at", ScalarValue::Uint(1)).unwrap();
    let head = doc.commit().unwrap();
    Extended { base, doc, head }
}
