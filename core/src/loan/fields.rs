//! A loan record's fields, read in one pass over its map.
//!
//! A lookup per field (`doc.get`) costs a seek through the document's operations each: with
//! thirteen fields per record and a thousand records, reading the loans of a document took half
//! of a full sync's import. One `map_range` pass keeps only the keys the reader knows (a peer's
//! junk keys cost nothing but the pass).

use super::check::check_count;
use crate::clock::Day;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, ValueRef};

type Checked<T> = std::result::Result<T, String>;

/// A field's value: a plain value, a map (with its id), or another kind of object.
enum Field {
    Scalar(ScalarValue),
    Map(ObjId),
    Object,
}

/// The known fields of one record, in the order the document holds them.
pub(super) struct Fields(Vec<(&'static str, Field)>);

impl Fields {
    /// One pass over `obj`, keeping only the keys in `known`.
    pub(super) fn read(d: &AutoCommit, obj: &ObjId, known: &[&'static str]) -> Self {
        let mut out = Vec::with_capacity(known.len());
        for entry in d.map_range(obj, ..) {
            let Some(key) = known.iter().copied().find(|k| *k == entry.key.as_ref()) else { continue };
            let field = match entry.value {
                ValueRef::Scalar(s) => Field::Scalar(ScalarValue::from(s)),
                ValueRef::Object(ObjType::Map) => Field::Map(entry.id()),
                ValueRef::Object(_) => Field::Object,
            };
            out.push((key, field));
        }
        Fields(out)
    }

    fn get(&self, key: &str) -> Option<&Field> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, f)| f)
    }

    /// The plain value under `key`, `None` if absent; an error if it is an object.
    pub(super) fn scalar(&self, key: &str) -> Checked<Option<&ScalarValue>> {
        match self.get(key) {
            None => Ok(None),
            Some(Field::Scalar(s)) => Ok(Some(s)),
            Some(_) => Err(format!("{key} is not a plain value")),
        }
    }

    /// The map under `key`, `None` if absent; an error if it is something else.
    pub(super) fn sub_map(&self, key: &str) -> Checked<Option<&ObjId>> {
        match self.get(key) {
            None => Ok(None),
            Some(Field::Map(id)) => Ok(Some(id)),
            Some(_) => Err(format!("{key} is not a map")),
        }
    }

    pub(super) fn opt_text(&self, key: &str) -> Checked<Option<String>> {
        match self.scalar(key)? {
            None => Ok(None),
            Some(ScalarValue::Str(s)) => Ok(Some(s.to_string())),
            Some(_) => Err(format!("{key} is not text")),
        }
    }

    pub(super) fn text(&self, key: &str) -> Checked<String> {
        self.opt_text(key)?.ok_or_else(|| format!("{key} is missing"))
    }

    /// A timestamp (ms), `None` if absent; range checks come later.
    pub(super) fn time(&self, key: &str) -> Checked<Option<u64>> {
        match self.scalar(key)? {
            None => Ok(None),
            Some(ScalarValue::Uint(n)) => Ok(Some(*n)),
            Some(ScalarValue::Int(n)) => {
                u64::try_from(*n).map(Some).map_err(|_| format!("{key} time {n} is before 1970"))
            }
            Some(_) => Err(format!("{key} is not a time")),
        }
    }

    /// A required day number; range checks come later.
    pub(super) fn day(&self, key: &str) -> Checked<Day> {
        match self.scalar(key)? {
            None => Err(format!("{key} is missing")),
            Some(v) => as_day(v).ok_or_else(|| format!("{key} is not a day number within range")),
        }
    }
}

pub(super) fn as_day(v: &ScalarValue) -> Option<Day> {
    match v {
        ScalarValue::Int(n) => Some(*n),
        ScalarValue::Uint(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// Every entry of a small map of plain values (extension requests or answers), in one pass;
/// an error if there are too many or one is an object.
pub(super) fn small_entries(d: &AutoCommit, map: &ObjId, what: &str) -> Checked<Vec<(String, ScalarValue)>> {
    check_count(what, d.length(map))?;
    d.map_range(map, ..)
        .map(|entry| match entry.value {
            ValueRef::Scalar(s) => Ok((entry.key.into_owned(), ScalarValue::from(s))),
            ValueRef::Object(_) => Err(format!("{what} entry {:?} is not a plain value", entry.key)),
        })
        .collect()
}

/// Every entry of a map of records, with its object id if it is a map, in one pass.
pub(super) fn records(d: &AutoCommit, map: &ObjId) -> Vec<(String, Option<ObjId>)> {
    d.map_range(map, ..)
        .map(|entry| {
            let id = matches!(entry.value, ValueRef::Object(ObjType::Map)).then(|| entry.id());
            (entry.key.into_owned(), id)
        })
        .collect()
}
