//! Loan records inside a member document.
//!
//! `borrowing: { <loan id>: { lender, item, from, until, message, requested_at, cancelled_at,
//! received_at, returned_at, ext: { <seq>: until } } }` and
//! `lending: { <loan id>.<borrower id>: { accepted_at, declined_at, answer_message, withdrawn_at,
//! withdraw_reason, handed_over_at, return_confirmed_at, condition_note, disputed_at,
//! ext_answers: { <seq>: bool } } }`.
//! A document only ever holds its owner's side: whoever wrote a record into `borrowing` *is*
//! the borrower, into `lending` *is* the lender. Timestamps are written once and never cleared.

use super::check::{Refusals, check_borrower, check_count, check_lender};
use super::{BorrowerSide, LenderSide};
use crate::clock::Day;
use crate::doc::{MemberDoc, am_err, get_scalar};
use crate::error::Result;
use crate::ids::{IdNonce, ItemId, LoanId, MemberId, NeighbourhoodId};
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

/// Every entry of `map`, with its object id if it is a map.
fn entries(doc: &AutoCommit, map: &ObjId) -> Vec<(String, Option<ObjId>)> {
    let keys: Vec<String> = doc.keys(map).collect();
    keys.into_iter()
        .map(|k| {
            let id = match doc.get(map, k.as_str()) {
                Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
                _ => None,
            };
            (k, id)
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
        for (key, obj) in entries(d, &root) {
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
        for (key, obj) in entries(d, &root) {
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
    let id_nonce: IdNonce = match get_scalar(d, obj, "id_nonce") {
        Some(ScalarValue::Bytes(b)) => b.as_slice().try_into().ok(),
        _ => None,
    }
    .filter(|n| id.is_bound_to(&ns, &owner, n))
    .ok_or_else(|| "its id is not bound to its borrower (a copy of another member's loan?)".to_owned())?;
    let lender = text(d, obj, "lender")?.parse().map_err(|_| "lender is not a member id".to_owned())?;
    let item = text(d, obj, "item")?.parse::<ItemId>().map_err(|_| "item is not an item id".to_owned())?;
    let mut extensions = Vec::new();
    if let Some(ext) = sub_map(d, obj, "ext")? {
        check_count("extension requests", d.length(&ext))?;
        for (k, v) in entries_scalar(d, &ext)? {
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
        from: day(d, obj, "from")?,
        until: day(d, obj, "until")?,
        message: opt_text(d, obj, "message")?.unwrap_or_default(),
        requested_at: time(d, obj, "requested_at")?.ok_or_else(|| "requested_at is missing".to_owned())?,
        cancelled_at: time(d, obj, "cancelled_at")?,
        received_at: time(d, obj, "received_at")?,
        returned_at: time(d, obj, "returned_at")?,
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
    let mut extension_answers = Vec::new();
    if let Some(answers) = sub_map(d, obj, "ext_answers")? {
        check_count("extension answers", d.length(&answers))?;
        for (k, v) in entries_scalar(d, &answers)? {
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
            accepted_at: time(d, obj, "accepted_at")?,
            declined_at: time(d, obj, "declined_at")?,
            answer_message: opt_text(d, obj, "answer_message")?.unwrap_or_default(),
            withdrawn_at: time(d, obj, "withdrawn_at")?,
            withdraw_reason: opt_text(d, obj, "withdraw_reason")?.unwrap_or_default(),
            handed_over_at: time(d, obj, "handed_over_at")?,
            return_confirmed_at: time(d, obj, "return_confirmed_at")?,
            condition_note: opt_text(d, obj, "condition_note")?.unwrap_or_default(),
            disputed_at: time(d, obj, "disputed_at")?,
            extension_answers,
        },
    })
}

type Checked<T> = std::result::Result<T, String>;

/// The scalar under `key`, `None` if absent; an error if it is an object.
fn scalar(d: &AutoCommit, obj: &ObjId, key: &str) -> Checked<Option<ScalarValue>> {
    match d.get(obj, key) {
        Ok(None) => Ok(None),
        Ok(Some((Value::Scalar(s), _))) => Ok(Some(s.into_owned())),
        Ok(Some(_)) | Err(_) => Err(format!("{key} is not a plain value")),
    }
}

fn sub_map(d: &AutoCommit, obj: &ObjId, key: &str) -> Checked<Option<ObjId>> {
    match d.get(obj, key) {
        Ok(None) => Ok(None),
        Ok(Some((Value::Object(ObjType::Map), id))) => Ok(Some(id)),
        Ok(Some(_)) | Err(_) => Err(format!("{key} is not a map")),
    }
}

fn opt_text(d: &AutoCommit, obj: &ObjId, key: &str) -> Checked<Option<String>> {
    match scalar(d, obj, key)? {
        None => Ok(None),
        Some(ScalarValue::Str(s)) => Ok(Some(s.to_string())),
        Some(_) => Err(format!("{key} is not text")),
    }
}

fn text(d: &AutoCommit, obj: &ObjId, key: &str) -> Checked<String> {
    opt_text(d, obj, key)?.ok_or_else(|| format!("{key} is missing"))
}

/// A timestamp (ms), `None` if absent; range checks come later.
fn time(d: &AutoCommit, obj: &ObjId, key: &str) -> Checked<Option<u64>> {
    match scalar(d, obj, key)? {
        None => Ok(None),
        Some(ScalarValue::Uint(n)) => Ok(Some(n)),
        Some(ScalarValue::Int(n)) => {
            u64::try_from(n).map(Some).map_err(|_| format!("{key} time {n} is before 1970"))
        }
        Some(_) => Err(format!("{key} is not a time")),
    }
}

/// A required day number; range checks come later.
fn day(d: &AutoCommit, obj: &ObjId, key: &str) -> Checked<Day> {
    match scalar(d, obj, key)? {
        None => Err(format!("{key} is missing")),
        Some(v) => as_day(&v).ok_or_else(|| format!("{key} is not a day number within range")),
    }
}

fn as_day(v: &ScalarValue) -> Option<Day> {
    match v {
        ScalarValue::Int(n) => Some(*n),
        ScalarValue::Uint(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// Every entry of `map`; an error if one is not a plain value.
fn entries_scalar(doc: &AutoCommit, map: &ObjId) -> Checked<Vec<(String, ScalarValue)>> {
    let keys: Vec<String> = doc.keys(map).collect();
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let v = scalar(doc, map, &k)?.ok_or_else(|| format!("entry {k:?} vanished"))?;
        out.push((k, v));
    }
    Ok(out)
}
