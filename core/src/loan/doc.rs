//! Loan records inside a member document.
//!
//! `borrowing: { <loan id>: { lender, item, from, until, message, requested_at, cancelled_at,
//! received_at, returned_at, ext: { <seq>: until } } }` and
//! `lending: { <loan id>.<borrower id>: { accepted_at, declined_at, answer_message, withdrawn_at,
//! withdraw_reason, handed_over_at, return_confirmed_at, condition_note, disputed_at,
//! ext_answers: { <seq>: bool } } }`.
//! A document only ever holds its owner's side: whoever wrote a record into `borrowing` *is*
//! the borrower, into `lending` *is* the lender. Timestamps are written once and never cleared.

use super::{BorrowerSide, LenderSide};
use crate::doc::{MemberDoc, am_err, get_scalar, get_str, get_u64};
use crate::error::Result;
use crate::ids::{ItemId, LoanId, MemberId, NeighbourhoodId};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

pub const BORROWING: &str = "borrowing";
pub const LENDING: &str = "lending";

/// A lender's side with the keys that identify the loan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LenderRecord {
    pub neighbourhood: NeighbourhoodId,
    pub lender: MemberId,
    pub borrower: MemberId,
    pub id: LoanId,
    pub side: LenderSide,
}

fn child_map(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId> {
    Ok(match doc.get(parent, key).map_err(am_err)? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => doc.put_object(parent, key, ObjType::Map).map_err(am_err)?,
    })
}

fn put_time(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: Option<u64>) -> Result<()> {
    if let Some(t) = value {
        doc.put(obj, key, ScalarValue::Uint(t)).map_err(am_err)?;
    }
    Ok(())
}

fn get_i64(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<i64> {
    match get_scalar(doc, obj, key)? {
        ScalarValue::Int(n) => Some(n),
        ScalarValue::Uint(n) => i64::try_from(n).ok(),
        _ => None,
    }
}

fn entries(doc: &AutoCommit, map: &ObjId) -> Vec<(String, ObjId)> {
    let keys: Vec<String> = doc.keys(map).collect();
    keys.into_iter()
        .filter_map(|k| match doc.get(map, k.as_str()).ok()?? {
            (Value::Object(ObjType::Map), id) => Some((k, id)),
            _ => None,
        })
        .collect()
}

impl MemberDoc {
    fn root_map(&mut self, key: &str) -> Result<ObjId> {
        child_map(&mut self.doc, &ROOT, key)
    }

    /// Writes the borrower's side of a loan (this document's owner is the borrower).
    pub fn put_borrowing(&mut self, b: &BorrowerSide) -> Result<Option<Change>> {
        let root = self.root_map(BORROWING)?;
        let d = &mut self.doc;
        let obj = child_map(d, &root, &b.id.to_hex())?;
        d.put(&obj, "lender", b.lender.to_hex()).map_err(am_err)?;
        d.put(&obj, "item", b.item.to_hex()).map_err(am_err)?;
        d.put(&obj, "from", ScalarValue::Int(b.from)).map_err(am_err)?;
        d.put(&obj, "until", ScalarValue::Int(b.until)).map_err(am_err)?;
        d.put(&obj, "message", b.message.as_str()).map_err(am_err)?;
        d.put(&obj, "requested_at", ScalarValue::Uint(b.requested_at)).map_err(am_err)?;
        put_time(d, &obj, "cancelled_at", b.cancelled_at)?;
        put_time(d, &obj, "received_at", b.received_at)?;
        put_time(d, &obj, "returned_at", b.returned_at)?;
        if !b.extensions.is_empty() {
            let ext = child_map(d, &obj, "ext")?;
            for (seq, until) in &b.extensions {
                d.put(&ext, seq.to_string().as_str(), ScalarValue::Int(*until)).map_err(am_err)?;
            }
        }
        self.commit()
    }

    /// Writes the lender's side of a loan (this document's owner is the lender).
    pub fn put_lending(
        &mut self,
        borrower: &MemberId,
        id: &LoanId,
        l: &LenderSide,
    ) -> Result<Option<Change>> {
        let root = self.root_map(LENDING)?;
        let d = &mut self.doc;
        let obj = child_map(d, &root, &format!("{}.{}", id.to_hex(), borrower.to_hex()))?;
        put_time(d, &obj, "accepted_at", l.accepted_at)?;
        put_time(d, &obj, "declined_at", l.declined_at)?;
        put_time(d, &obj, "withdrawn_at", l.withdrawn_at)?;
        put_time(d, &obj, "handed_over_at", l.handed_over_at)?;
        put_time(d, &obj, "return_confirmed_at", l.return_confirmed_at)?;
        put_time(d, &obj, "disputed_at", l.disputed_at)?;
        for (key, text) in [
            ("answer_message", &l.answer_message),
            ("withdraw_reason", &l.withdraw_reason),
            ("condition_note", &l.condition_note),
        ] {
            if !text.is_empty() {
                d.put(&obj, key, text.as_str()).map_err(am_err)?;
            }
        }
        if !l.extension_answers.is_empty() {
            let answers = child_map(d, &obj, "ext_answers")?;
            for (seq, ok) in &l.extension_answers {
                d.put(&answers, seq.to_string().as_str(), *ok).map_err(am_err)?;
            }
        }
        self.commit()
    }

    /// Every well-formed borrower record in this document; `owner` is the borrower.
    pub fn borrowings(&self, ns: NeighbourhoodId, owner: MemberId) -> Vec<BorrowerSide> {
        let Ok(root) = self.map(BORROWING) else {
            return Vec::new();
        };
        let d = &self.doc;
        entries(d, &root)
            .into_iter()
            .filter_map(|(key, obj)| {
                let ext = match d.get(&obj, "ext").ok().flatten() {
                    Some((Value::Object(ObjType::Map), ext)) => entries_scalar(d, &ext)
                        .into_iter()
                        .filter_map(|(k, v)| Some((k.parse().ok()?, as_i64(&v)?)))
                        .collect(),
                    _ => Vec::new(),
                };
                let mut extensions: Vec<(u32, i64)> = ext;
                extensions.sort_unstable();
                let side = BorrowerSide {
                    id: key.parse().ok()?,
                    neighbourhood: ns,
                    borrower: owner,
                    lender: get_str(d, &obj, "lender")?.parse().ok()?,
                    item: get_str(d, &obj, "item")?.parse::<ItemId>().ok()?,
                    from: get_i64(d, &obj, "from")?,
                    until: get_i64(d, &obj, "until")?,
                    message: get_str(d, &obj, "message").unwrap_or_default(),
                    requested_at: get_u64(d, &obj, "requested_at")?,
                    cancelled_at: get_u64(d, &obj, "cancelled_at"),
                    received_at: get_u64(d, &obj, "received_at"),
                    returned_at: get_u64(d, &obj, "returned_at"),
                    extensions,
                };
                // A record the borrower could not have made through the API is ignored.
                (side.from <= side.until && side.lender != owner).then_some(side)
            })
            .collect()
    }

    /// Every well-formed lender record in this document; `owner` is the lender.
    pub fn lendings(&self, ns: NeighbourhoodId, owner: MemberId) -> Vec<LenderRecord> {
        let Ok(root) = self.map(LENDING) else {
            return Vec::new();
        };
        let d = &self.doc;
        entries(d, &root)
            .into_iter()
            .filter_map(|(key, obj)| {
                let (id, borrower) = key.split_once('.')?;
                let answers = match d.get(&obj, "ext_answers").ok().flatten() {
                    Some((Value::Object(ObjType::Map), a)) => entries_scalar(d, &a)
                        .into_iter()
                        .filter_map(|(k, v)| match v {
                            ScalarValue::Boolean(ok) => Some((k.parse().ok()?, ok)),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let mut extension_answers: Vec<(u32, bool)> = answers;
                extension_answers.sort_unstable();
                Some(LenderRecord {
                    neighbourhood: ns,
                    lender: owner,
                    borrower: borrower.parse().ok()?,
                    id: id.parse().ok()?,
                    side: LenderSide {
                        accepted_at: get_u64(d, &obj, "accepted_at"),
                        declined_at: get_u64(d, &obj, "declined_at"),
                        answer_message: get_str(d, &obj, "answer_message").unwrap_or_default(),
                        withdrawn_at: get_u64(d, &obj, "withdrawn_at"),
                        withdraw_reason: get_str(d, &obj, "withdraw_reason").unwrap_or_default(),
                        handed_over_at: get_u64(d, &obj, "handed_over_at"),
                        return_confirmed_at: get_u64(d, &obj, "return_confirmed_at"),
                        condition_note: get_str(d, &obj, "condition_note").unwrap_or_default(),
                        disputed_at: get_u64(d, &obj, "disputed_at"),
                        extension_answers,
                    },
                })
            })
            .collect()
    }
}

fn as_i64(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int(n) => Some(*n),
        ScalarValue::Uint(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

fn entries_scalar(doc: &AutoCommit, map: &ObjId) -> Vec<(String, ScalarValue)> {
    let keys: Vec<String> = doc.keys(map).collect();
    keys.into_iter().filter_map(|k| get_scalar(doc, map, &k).map(|v| (k, v))).collect()
}
