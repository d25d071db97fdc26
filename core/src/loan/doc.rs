//! Loan records inside a member document.
//!
//! `borrowing: { <loan id>: { lender, item, from, until, message, requested_at, cancelled_at,
//! received_at, returned_at, ext: { <seq>: until } } }` and
//! `lending: { <loan id>.<borrower id>: { accepted_at, declined_at, answer_message, withdrawn_at,
//! withdraw_reason, handed_over_at, return_confirmed_at, condition_note, disputed_at,
//! ext_answers: { <seq>: bool } } }`.
//! A document only ever holds its owner's side: whoever wrote a record into `borrowing` *is*
//! the borrower, into `lending` *is* the lender. Timestamps are written once and never cleared.

use super::check::{Refusals, check_borrower, check_lender};
use super::fields::{Fields, as_day, records, small_entries};
use super::{BorrowerSide, LenderSide};
use crate::doc::{MemberDoc, am_err};
use crate::error::Result;
use crate::ids::{IdNonce, ItemId, LoanId, MemberId, NeighbourhoodId};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

/// The member document's section holding the member's borrower sides.
pub const BORROWING: &str = "borrowing";
/// The member document's section holding the member's lender sides.
pub const LENDING: &str = "lending";

/// The fields of a borrower's record that are read.
const BORROWER_FIELDS: &[&str] = &[
    "id_nonce",
    "lender",
    "item",
    "from",
    "until",
    "message",
    "requested_at",
    "cancelled_at",
    "received_at",
    "returned_at",
    "ext",
];
/// The fields of a lender's record that are read.
const LENDER_FIELDS: &[&str] = &[
    "accepted_at",
    "declined_at",
    "answer_message",
    "withdrawn_at",
    "withdraw_reason",
    "handed_over_at",
    "return_confirmed_at",
    "condition_note",
    "disputed_at",
    "ext_answers",
];

/// A lender's side with the keys that identify the loan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LenderRecord {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// The lender (whose document holds this side).
    pub lender: MemberId,
    /// The borrower.
    pub borrower: MemberId,
    /// The loan.
    pub id: LoanId,
    /// What the lender has said.
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

impl MemberDoc {
    fn root_map(&mut self, key: &str) -> Result<ObjId> {
        child_map(&mut self.doc, &ROOT, key)
    }

    /// Writes the borrower's side of a loan (this document's owner is the borrower).
    pub fn put_borrowing(&mut self, b: &BorrowerSide) -> Result<Option<Change>> {
        let root = self.root_map(BORROWING)?;
        let d = &mut self.doc;
        let obj = child_map(d, &root, &b.id.to_hex())?;
        d.put(&obj, "id_nonce", ScalarValue::Bytes(b.id_nonce.to_vec())).map_err(am_err)?;
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

    /// Every borrower record in this document that passes [`check_borrower`], and why each
    /// other one was refused (see [`super::check`]); `owner` is the borrower.
    pub fn borrowings(&self, ns: NeighbourhoodId, owner: MemberId) -> (Vec<BorrowerSide>, Vec<String>) {
        let Ok(root) = self.map(BORROWING) else {
            return (Vec::new(), Vec::new());
        };
        let d = &self.doc;
        let mut out = Vec::new();
        let mut refused = Refusals::default();
        for (key, obj) in records(d, &root) {
            let side = obj
                .ok_or_else(|| "it is not a loan record".to_owned())
                .and_then(|obj| read_borrowing(d, &key, &obj, ns, owner))
                .and_then(|side| check_borrower(&side).map(|()| side));
            match side {
                Ok(side) => out.push(side),
                Err(problem) => refused.refuse(&key, &owner, "borrower", &problem),
            }
        }
        (out, refused.into_reasons())
    }

    /// Every lender record in this document that passes [`check_lender`], and why each other
    /// one was refused (see [`super::check`]); `owner` is the lender.
    pub fn lendings(&self, ns: NeighbourhoodId, owner: MemberId) -> (Vec<LenderRecord>, Vec<String>) {
        let Ok(root) = self.map(LENDING) else {
            return (Vec::new(), Vec::new());
        };
        let d = &self.doc;
        let mut out = Vec::new();
        let mut refused = Refusals::default();
        for (key, obj) in records(d, &root) {
            let rec = obj
                .ok_or_else(|| "it is not a loan record".to_owned())
                .and_then(|obj| read_lending(d, &key, &obj, ns, owner))
                .and_then(|rec| check_lender(&rec.side).map(|()| rec));
            match rec {
                Ok(rec) => out.push(rec),
                Err(problem) => refused.refuse(&key, &owner, "lender", &problem),
            }
        }
        (out, refused.into_reasons())
    }
}

/// The borrower's record under `key`, without range checks; why not if it is malformed.
fn read_borrowing(
    d: &AutoCommit,
    key: &str,
    obj: &ObjId,
    ns: NeighbourhoodId,
    owner: MemberId,
) -> std::result::Result<BorrowerSide, String> {
    let id: LoanId = key.parse().map_err(|_| "its key is not a loan id".to_owned())?;
    let f = Fields::read(d, obj, BORROWER_FIELDS);
    let id_nonce: IdNonce = match f.scalar("id_nonce").ok().flatten() {
        Some(ScalarValue::Bytes(b)) => b.as_slice().try_into().ok(),
        _ => None,
    }
    .filter(|n| id.is_bound_to(&ns, &owner, n))
    .ok_or_else(|| "its id is not bound to its borrower (a copy of another member's loan?)".to_owned())?;
    let lender = f.text("lender")?.parse().map_err(|_| "lender is not a member id".to_owned())?;
    let item = f.text("item")?.parse::<ItemId>().map_err(|_| "item is not an item id".to_owned())?;
    let mut extensions = Vec::new();
    if let Some(ext) = f.sub_map("ext")? {
        for (k, v) in small_entries(d, ext, "extension requests")? {
            let seq: u32 = k.parse().map_err(|_| format!("extension request key {k:?} is not a number"))?;
            let until = as_day(&v).ok_or_else(|| format!("extension request {seq} has no day number"))?;
            extensions.push((seq, until));
        }
    }
    extensions.sort_unstable();
    Ok(BorrowerSide {
        id,
        id_nonce,
        neighbourhood: ns,
        borrower: owner,
        lender,
        item,
        from: f.day("from")?,
        until: f.day("until")?,
        message: f.opt_text("message")?.unwrap_or_default(),
        requested_at: f.time("requested_at")?.ok_or_else(|| "requested_at is missing".to_owned())?,
        cancelled_at: f.time("cancelled_at")?,
        received_at: f.time("received_at")?,
        returned_at: f.time("returned_at")?,
        extensions,
    })
}

/// The lender's record under `key` (`<loan id>.<borrower id>`), without range checks.
fn read_lending(
    d: &AutoCommit,
    key: &str,
    obj: &ObjId,
    ns: NeighbourhoodId,
    owner: MemberId,
) -> std::result::Result<LenderRecord, String> {
    let malformed = || "its key is not <loan id>.<borrower id>".to_owned();
    let (id, borrower) = key.split_once('.').ok_or_else(malformed)?;
    let (id, borrower) = (id.parse().map_err(|_| malformed())?, borrower.parse().map_err(|_| malformed())?);
    let f = Fields::read(d, obj, LENDER_FIELDS);
    let mut extension_answers = Vec::new();
    if let Some(answers) = f.sub_map("ext_answers")? {
        for (k, v) in small_entries(d, answers, "extension answers")? {
            let seq: u32 = k.parse().map_err(|_| format!("extension answer key {k:?} is not a number"))?;
            let ScalarValue::Boolean(ok) = v else {
                return Err(format!("extension answer {seq} is not yes or no"));
            };
            extension_answers.push((seq, ok));
        }
    }
    extension_answers.sort_unstable();
    Ok(LenderRecord {
        neighbourhood: ns,
        lender: owner,
        borrower,
        id,
        side: LenderSide {
            accepted_at: f.time("accepted_at")?,
            declined_at: f.time("declined_at")?,
            answer_message: f.opt_text("answer_message")?.unwrap_or_default(),
            withdrawn_at: f.time("withdrawn_at")?,
            withdraw_reason: f.opt_text("withdraw_reason")?.unwrap_or_default(),
            handed_over_at: f.time("handed_over_at")?,
            return_confirmed_at: f.time("return_confirmed_at")?,
            condition_note: f.opt_text("condition_note")?.unwrap_or_default(),
            disputed_at: f.time("disputed_at")?,
            extension_answers,
        },
    })
}
