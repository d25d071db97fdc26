//! One automerge document per (neighbourhood, member): the member's profile and items.
//!
//! Layout: `{ profile: { name }, items: { <item id hex>: { title, description, … } } }`.
//! Tags and photos are stored as JSON strings (last writer wins on the whole list), the other
//! fields as scalars, so concurrent edits of different fields from two devices both survive.
//! Reading is defensive: the owner signs their document, but a buggy or old client may have
//! written something odd, so an item that does not read back as valid is skipped, not trusted.

use crate::error::{Result, VerifyError};
use crate::ids::{DeviceId, IdNonce, ItemId, MemberId, NeighbourhoodId};
use crate::model::{Item, validate_name};
use automerge::hydrate;
use automerge::transaction::Transactable;
use automerge::{
    ActorId, AutoCommit, Change, ChangeHash, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue,
    ScalarValueRef, Value, ValueRef,
};
use std::collections::HashMap;

const PROFILE: &str = "profile";
/// The nonce that binds an item's id to its owner (see [`ItemId::new_bound`]).
const ID_NONCE: &str = "id_nonce";
const ITEMS: &str = "items";
/// Devices the owner revoked: `{ <device hex>: revoked_at }` (informational).
const REVOKED_DEVICES: &str = "revoked_devices";
/// Admissions this member witnessed: `{ <member hex>: <postcard Admission bytes> }`.
const ADMISSIONS: &str = "admissions";
/// Deepest object a member document has (root → section → record → field map), with room.
const MAX_DEPTH: usize = 8;
/// Above this many new changes an import re-reads the whole document instead of tracing ops.
const MAX_CHANGES_TRACKED: usize = 64;

/// Sections of a document touched by a set of changes (see [`MemberDoc::touched_by`]).
#[derive(Debug, Default)]
pub struct Changed {
    /// Something outside the known sections, or too many changes to trace: re-read it all.
    pub everything: bool,
    /// The owner's profile (display name).
    pub profile: bool,
    /// The borrowing or lending sections (loan records).
    pub loans: bool,
    /// The admissions this member witnessed.
    pub admissions: bool,
    /// An object deeper than any real document (a cycle): the changes are refused.
    pub malformed_tree: bool,
    /// Keys (item id hex) under `items`.
    pub items: std::collections::HashSet<String>,
}

/// A member document with typed accessors.
pub struct MemberDoc {
    pub(crate) doc: AutoCommit,
    /// Operations the document must hold before [`Self::history_outgrew`] walks it again (see
    /// `first_look`).
    pub(crate) look_at: u64,
}

/// When to first look at a document's history: once it has stored, since it was loaded or
/// adopted with `base` operations, at least as many again and at least
/// [`crate::node::AUTO_REBASE_MIN_OPS`].
fn first_look(base: u64) -> u64 {
    base.saturating_add(base.max(crate::node::AUTO_REBASE_MIN_OPS))
}

pub(crate) fn am_err(e: automerge::AutomergeError) -> VerifyError {
    VerifyError::Malformed(e.to_string())
}

impl MemberDoc {
    /// Creates a new document with the owner's profile, written by `device`.
    pub fn create(device: DeviceId, name: &str) -> Result<(Self, Change)> {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(device.0.as_slice()));
        let profile = doc.put_object(ROOT, PROFILE, ObjType::Map).map_err(am_err)?;
        doc.put(&profile, "name", name).map_err(am_err)?;
        doc.put_object(ROOT, ITEMS, ObjType::Map).map_err(am_err)?;
        // Created up front: two devices creating it later, concurrently, would conflict.
        doc.put_object(ROOT, crate::loan::doc::BORROWING, ObjType::Map).map_err(am_err)?;
        doc.put_object(ROOT, crate::loan::doc::LENDING, ObjType::Map).map_err(am_err)?;
        let mut this = MemberDoc { doc, look_at: first_look(0) };
        let change = this
            .commit()?
            .ok_or_else(|| crate::Error::Corrupt("creating a document produced no change".into()))?;
        Ok((this, change))
    }

    /// Loads a document from a snapshot and/or individual changes (both already verified).
    pub fn load(snapshot: Option<&[u8]>, changes: Vec<Change>) -> Result<Self, VerifyError> {
        let mut doc = match snapshot {
            Some(bytes) => AutoCommit::load(bytes).map_err(am_err)?,
            None => AutoCommit::new(),
        };
        let base_ops = doc.stats().num_ops;
        doc.apply_changes(changes).map_err(am_err)?;
        Ok(MemberDoc { doc, look_at: first_look(base_ops) })
    }

    /// Wraps an automerge document that is already loaded (say, a rebased copy) as it stands.
    pub fn from_automerge(doc: AutoCommit) -> Self {
        let base_ops = doc.stats().num_ops;
        MemberDoc { doc, look_at: first_look(base_ops) }
    }

    /// Makes further local writes come from `device`.
    pub fn set_device(&mut self, device: DeviceId) {
        let epoch = self.epoch().number;
        self.doc.set_actor(crate::doc_epoch::actor(device, epoch));
    }

    /// The document's current heads: the hashes of the changes nothing else depends on yet.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Whether the document already has (or holds queued) the change `hash`. Asks the change
    /// graph only: `get_change_by_hash` would rebuild the whole change, which made imports slow.
    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        // Lists hashes neither applied nor queued: `hash` itself is listed only if unknown.
        !self.doc.get_missing_deps(std::slice::from_ref(hash)).contains(hash)
    }

    /// The whole document in automerge's compact saved form (a snapshot).
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes that are not ancestors of `have` (every change when `have` is empty).
    pub fn changes_since(&mut self, have: &[ChangeHash]) -> Vec<Change> {
        self.doc.get_changes(have)
    }

    /// The underlying automerge document. Writes made through it are not signed or stored by
    /// themselves.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Applies changes that have already been verified; returns the hashes that were new.
    /// A panic inside automerge (malformed but signed changes, found by fuzzing) is returned
    /// as an error; the document may then be half-changed and must be dropped by the caller.
    pub fn apply_verified(&mut self, changes: Vec<Change>) -> Result<Vec<ChangeHash>, VerifyError> {
        let fresh: Vec<Change> = changes.into_iter().filter(|c| !self.has_change(&c.hash())).collect();
        let hashes = fresh.iter().map(Change::hash).collect();
        let doc = &mut self.doc;
        guarded("apply the changes", || doc.apply_changes(fresh).map_err(am_err))??;
        Ok(hashes)
    }

    /// Commits pending operations; `None` when they changed nothing (automerge elides no-op
    /// writes), so that nothing is signed or stored twice.
    pub(crate) fn commit(&mut self) -> Result<Option<Change>> {
        let Some(hash) = self.doc.commit() else {
            return Ok(None);
        };
        self.doc
            .get_change_by_hash(&hash)
            .map(Some)
            .ok_or_else(|| crate::Error::Corrupt("a committed change cannot be found".into()))
    }

    pub(crate) fn map(&self, key: &str) -> Result<ObjId, VerifyError> {
        match self.doc.get(ROOT, key).map_err(am_err)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(VerifyError::InvalidContent(format!("document has no `{key}` map"))),
        }
    }

    /// Sets the profile name; `None` if it already was `name`.
    pub fn set_name(&mut self, name: &str) -> Result<Option<Change>> {
        let profile = self.map(PROFILE)?;
        self.doc.put(&profile, "name", name).map_err(am_err)?;
        self.commit()
    }

    /// The profile's display name, if it is present and a valid name.
    pub fn name(&self) -> Option<String> {
        let profile = self.map(PROFILE).ok()?;
        let name = get_str(&self.doc, &profile, "name")?;
        validate_name(&name).ok()
    }

    /// Writes a new item under its owner-bound id (see [`ItemId::new_bound`]) as one change.
    pub fn create_item(&mut self, item: &Item, nonce: &IdNonce) -> Result<Option<Change>> {
        self.create_items(std::slice::from_ref(item), std::slice::from_ref(nonce))
    }

    /// Writes new items (each with its nonce, in the same order) as one change; on error
    /// nothing is left pending in the document.
    pub fn create_items(&mut self, items: &[Item], nonces: &[IdNonce]) -> Result<Option<Change>> {
        let staged = items.iter().zip(nonces).try_for_each(|(item, nonce)| self.stage_new_item(item, nonce));
        if let Err(e) = staged {
            self.doc.rollback();
            return Err(e);
        }
        self.commit()
    }

    /// Stages a new item as one object: automerge splices its fields into the op set in one
    /// batch instead of one splice per field (about 10× faster for bulk imports). The
    /// operations are the same puts a field-by-field write makes.
    fn stage_new_item(&mut self, item: &Item, nonce: &IdNonce) -> Result<()> {
        let items = self.map(ITEMS)?;
        let deposit = item.deposit_cents.map(ScalarValue::Uint).unwrap_or(ScalarValue::Null);
        let fields: HashMap<&str, hydrate::Value> = HashMap::from([
            (ID_NONCE, ScalarValue::Bytes(nonce.to_vec()).into()),
            ("title", item.title.as_str().into()),
            ("description", item.description.as_str().into()),
            ("category", item.category.as_str().into()),
            ("tags", ScalarValue::Str(json_list(&item.tags).into()).into()),
            ("condition", item.condition.as_str().into()),
            ("photos", ScalarValue::Str(json_list(&item.photos).into()).into()),
            ("deposit_cents", deposit.into()),
            ("max_loan_days", ScalarValue::Uint(u64::from(item.max_loan_days)).into()),
            ("available", ScalarValue::Boolean(item.available).into()),
            ("created_at", ScalarValue::Uint(item.created_at).into()),
            ("updated_at", ScalarValue::Uint(item.updated_at).into()),
        ]);
        let object = hydrate::Value::from(fields);
        self.doc.batch_create_object(&items, item.id.to_hex().as_str(), &object, false).map_err(am_err)?;
        Ok(())
    }

    /// Writes the fields of an existing item that differ as one change; `None` if the document
    /// already held exactly this item.
    pub fn put_item(&mut self, item: &Item) -> Result<Option<Change>> {
        if let Err(e) = self.stage_item(item) {
            self.doc.rollback();
            return Err(e);
        }
        self.commit()
    }

    /// Writes the fields of an existing item that differ, without committing.
    fn stage_item(&mut self, item: &Item) -> Result<()> {
        let items = self.map(ITEMS)?;
        let key = item.id.to_hex();
        let obj = match self.doc.get(&items, key.as_str()).map_err(am_err)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => return Err(crate::Error::UnknownItem(item.id)),
        };
        let existing = crate::item_read::read_item(&self.doc, &obj, item.id, item.neighbourhood, item.owner);
        let d = &mut self.doc;
        let old = existing.as_ref();
        macro_rules! set {
            ($field:literal, $value:expr, $same:expr) => {
                if !old.is_some_and(|o| $same(o)) {
                    d.put(&obj, $field, $value).map_err(am_err)?;
                }
            };
        }
        set!("title", item.title.as_str(), |o: &Item| o.title == item.title);
        set!("description", item.description.as_str(), |o: &Item| o.description == item.description);
        set!("category", item.category.as_str(), |o: &Item| o.category == item.category);
        set!("tags", json_list(&item.tags), |o: &Item| o.tags == item.tags);
        set!("condition", item.condition.as_str(), |o: &Item| o.condition == item.condition);
        set!("photos", json_list(&item.photos), |o: &Item| o.photos == item.photos);
        set!(
            "deposit_cents",
            item.deposit_cents.map(ScalarValue::Uint).unwrap_or(ScalarValue::Null),
            |o: &Item| o.deposit_cents == item.deposit_cents
        );
        set!("max_loan_days", ScalarValue::Uint(u64::from(item.max_loan_days)), |o: &Item| o.max_loan_days
            == item.max_loan_days);
        set!("available", item.available, |o: &Item| o.available == item.available);
        set!("created_at", ScalarValue::Uint(item.created_at), |o: &Item| o.created_at == item.created_at);
        d.put(&obj, "updated_at", ScalarValue::Uint(item.updated_at)).map_err(am_err)?;
        Ok(())
    }

    /// Deletes an item; `None` when the document has no such item (nothing to sign).
    pub fn remove_item(&mut self, id: ItemId) -> Result<Option<Change>> {
        let items = self.map(ITEMS)?;
        let key = id.to_hex();
        if self.doc.get(&items, key.as_str()).map_err(am_err)?.is_none() {
            return Ok(None);
        }
        self.doc.delete(&items, key.as_str()).map_err(am_err)?;
        self.commit()
    }

    /// One item, if the document holds a valid one under `id`.
    pub fn item(&self, id: ItemId, neighbourhood: NeighbourhoodId, owner: MemberId) -> Option<Item> {
        let items = self.map(ITEMS).ok()?;
        match self.doc.get(&items, id.to_hex().as_str()).ok()?? {
            (Value::Object(ObjType::Map), obj) => {
                crate::item_read::read_item(&self.doc, &obj, id, neighbourhood, owner)
            }
            _ => None,
        }
    }

    /// What `changes` (already applied) touched, by top-level section and item key, so that an
    /// import re-reads only that. Read from the changes' own operations: automerge's `diff`
    /// between heads cost ~40 ms on a 10,000-item document. Large batches (catching up) and
    /// anything unexpected fall back to "everything".
    pub fn touched_by(&self, changes: &[Change]) -> Result<Changed, VerifyError> {
        let changed = guarded("read the changes", || self.trace(changes))?;
        if changed.malformed_tree {
            return Err(VerifyError::Malformed("the document's object tree is malformed".into()));
        }
        Ok(changed)
    }

    fn trace(&self, changes: &[Change]) -> Changed {
        let mut changed = Changed::default();
        if changes.len() > MAX_CHANGES_TRACKED {
            changed.everything = true;
            return changed;
        }
        let mut places: std::collections::HashMap<String, Option<(String, Option<String>)>> =
            std::collections::HashMap::new();
        for change in changes {
            for op in change.decode().operations {
                let obj = op.obj.to_string();
                let key = match &op.key {
                    automerge::legacy::Key::Map(k) => Some(k.to_string()),
                    automerge::legacy::Key::Seq(_) => None,
                };
                let place = match places.get(&obj) {
                    Some(p) => p.clone(),
                    None => {
                        let Ok(p) = self.place_of(&obj) else {
                            changed.malformed_tree = true;
                            return changed;
                        };
                        places.insert(obj.clone(), p.clone());
                        p
                    }
                };
                let (top, second) = match place {
                    // An op on the root: a whole section was (re)placed.
                    Some((top, None)) if top.is_empty() => (key.unwrap_or_default(), None),
                    Some((top, None)) => (top, key),
                    Some((top, Some(second))) => (top, Some(second)),
                    None => {
                        changed.everything = true;
                        continue;
                    }
                };
                match (top.as_str(), second) {
                    (ITEMS, Some(item)) => {
                        changed.items.insert(item);
                    }
                    (PROFILE, _) => changed.profile = true,
                    (ADMISSIONS, _) => changed.admissions = true,
                    (REVOKED_DEVICES, _) => {}
                    (crate::loan::doc::BORROWING | crate::loan::doc::LENDING, _) => changed.loans = true,
                    _ => changed.everything = true,
                }
            }
        }
        changed
    }

    /// Where object `obj` lives: ("", None) for the root, (section, None) for a top-level map,
    /// (section, Some(key)) for anything below a key of a section.
    fn place_of(&self, obj: &str) -> Result<Option<(String, Option<String>)>, ()> {
        if obj == "_root" {
            return Ok(Some((String::new(), None)));
        }
        let Ok(id) = self.doc.import_obj(obj) else { return Ok(None) };
        let Ok(parents) = self.doc.parents(&id) else { return Ok(None) };
        // Bounded walk up the tree: a malformed (cyclic) tree made automerge's own `path()`
        // loop for ever (found by fuzzing). Real documents are three levels deep.
        let mut up: Vec<Prop> = Vec::new();
        for parent in parents {
            if up.len() >= MAX_DEPTH {
                return Err(());
            }
            up.push(parent.prop);
        }
        up.reverse();
        let key = |i: usize| match up.get(i) {
            Some(Prop::Map(k)) => Some(k.clone()),
            _ => None,
        };
        Ok(key(0).map(|top| (top, key(1))))
    }

    /// Records that this document's owner witnessed `a` (see `crate::admission`).
    pub fn put_admission(&mut self, a: &crate::admission::Admission) -> Result<Option<Change>> {
        let bytes = crate::store::encode(a)?;
        let map = match self.doc.get(ROOT, ADMISSIONS).map_err(am_err)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => self.doc.put_object(ROOT, ADMISSIONS, ObjType::Map).map_err(am_err)?,
        };
        self.doc.put(&map, a.member.to_hex().as_str(), ScalarValue::Bytes(bytes)).map_err(am_err)?;
        self.commit()
    }

    /// Notes in the document that the owner revoked a device (the signed revocation itself
    /// travels beside the document; this moves the heads so that peers fetch it).
    pub fn note_device_revoked(&mut self, r: &crate::identity::DeviceRevocation) -> Result<Option<Change>> {
        let map = match self.doc.get(ROOT, REVOKED_DEVICES).map_err(am_err)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => self.doc.put_object(ROOT, REVOKED_DEVICES, ObjType::Map).map_err(am_err)?,
        };
        self.doc.put(&map, r.device.to_hex().as_str(), ScalarValue::Uint(r.revoked_at)).map_err(am_err)?;
        self.commit()
    }

    /// The admissions this document records (unverified: see `admission::Judge::learn`).
    pub fn admissions(&self) -> Vec<crate::admission::Admission> {
        let Ok(map) = self.map(ADMISSIONS) else {
            return Vec::new();
        };
        self.doc
            .map_range(&map, ..)
            .filter_map(|entry| match entry.value {
                ValueRef::Scalar(ScalarValueRef::Bytes(b)) => postcard::from_bytes(&b).ok(),
                _ => None,
            })
            .take(crate::admission::MAX_WITNESSED_PER_DOC)
            .collect()
    }

    /// Every valid item in the document.
    pub fn items(&self, neighbourhood: NeighbourhoodId, owner: MemberId) -> Vec<Item> {
        let Ok(items) = self.map(ITEMS) else {
            return Vec::new();
        };
        crate::item_read::read_items(&self.doc, &items, neighbourhood, owner)
    }

    /// Whether reading the whole document is worth more than one thread (see `item_read`).
    pub(crate) fn worth_reading_in_parallel(&self) -> bool {
        crate::item_read::read_threads() > 1
            && self.map(ITEMS).is_ok_and(|items| self.doc.length(&items) >= crate::item_read::PARALLEL_FROM)
    }
}

/// Runs `f`, turning a panic inside automerge into an error (the default panic hook still
/// prints it).
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, VerifyError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| VerifyError::Malformed(format!("automerge could not {what} (malformed changes)")))
}

fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn get_scalar(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => Some(s.into_owned()),
        _ => None,
    }
}

pub(crate) fn get_str(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match get_scalar(doc, obj, key)? {
        ScalarValue::Str(s) => Some(s.to_string()),
        _ => None,
    }
}
