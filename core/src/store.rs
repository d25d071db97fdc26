//! Durable storage: one redb file.
//!
//! Every user action is one write transaction, committed (fsync) before the call returns.
//! Documents are stored as an optional compacted snapshot plus the changes made since, so a
//! write appends a few hundred bytes instead of rewriting the document. The read model (items,
//! names) is stored too, so reopening does not have to load any automerge document.

use crate::admission::Admission;
use crate::attest::Attestation;
use crate::error::{Error, Result};
use crate::identity::{DeviceCert, DeviceRevocation, Identity, SecretKey};
use crate::ids::{ItemId, MemberId, NeighbourhoodId};
use crate::membership::{Chain, Revocation};
use crate::model::Item;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Current on-disk schema. Bump it and add a step to `migrate` when the layout changes.
/// 2: neighbourhood records carry the neighbourhood's shared secret (ADR 0013), and the
/// identity's member secret is optional (linked devices, ADR 0014).
/// 3: items are keyed by their owner's prefix and their id (`store::item_key`), not by id alone.
pub const SCHEMA_VERSION: u32 = 3;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const NEIGHBOURHOODS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("neighbourhoods");
/// Key: neighbourhood ‖ member.
const MEMBERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("members");
/// Key: neighbourhood ‖ owner.
const SNAPSHOTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("doc_snapshots");
/// Key: neighbourhood ‖ owner ‖ sequence (big-endian u64).
const CHANGES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("doc_changes");
/// Key: neighbourhood ‖ owner ‖ change hash.
const ATTESTATIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("attestations");
/// Key: neighbourhood ‖ owner. Value: the document's current heads, so sync summaries need no
/// document load.
const DOC_HEADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("doc_heads");
/// Key: neighbourhood ‖ member. Value: the [`Admission`] that admitted the member (earliest).
const ADMISSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("admissions");
/// Members who left or erased their data: (neighbourhood, member) → departure code (1 left,
/// 2 erased), from their documents' epochs (see `crate::doc_epoch`).
const DEPARTED: TableDefinition<&[u8], &[u8]> = TableDefinition::new("departed");
/// Key: [`item_key`]. Value: the item (read model).
const ITEMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("items_by_owner");
/// Schema 2's item table, keyed by item id alone (moved into [`ITEMS`] by `migrate`).
const ITEMS_BY_ID: TableDefinition<&[u8], &[u8]> = TableDefinition::new("items");

const KEY_SCHEMA: &str = "schema_version";
const KEY_IDENTITY: &str = "identity";

/// The stored form of this installation's [`Identity`]: the secret keys in plain bytes, unless a
/// [`crate::SecretStore`] keeps them (see `crate::secret_store`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// The display name.
    pub name: String,
    /// Absent on a linked device (see `crate::link`).
    #[serde(with = "crate::identity::hex_bytes::option")]
    pub member_secret: Option<[u8; 32]>,
    /// This device's secret key.
    #[serde(with = "crate::identity::hex_bytes")]
    pub device_secret: [u8; 32],
    /// The member key's certificate for this device.
    pub device_cert: DeviceCert,
}

impl IdentityRecord {
    /// The record of `id`, secrets included.
    pub fn from_identity(id: &Identity) -> Self {
        IdentityRecord {
            name: id.name.clone(),
            member_secret: id.member_key.as_ref().map(SecretKey::to_bytes),
            device_secret: id.device_key.to_bytes(),
            device_cert: id.device_cert.clone(),
        }
    }

    /// Rebuilds the identity, checking that keys and certificate belong together.
    pub fn to_identity(&self) -> Result<Identity> {
        let member_key = self.member_secret.as_ref().map(SecretKey::from_bytes);
        let device_key = SecretKey::from_bytes(&self.device_secret);
        let cert = &self.device_cert;
        let member_matches = member_key.as_ref().is_none_or(|k| cert.member.0 == k.public());
        if !cert.is_valid() || !member_matches || cert.device.0 != device_key.public() {
            return Err(Error::Corrupt("identity keys do not match their certificate".into()));
        }
        Ok(Identity { member_key, device_key, device_cert: cert.clone(), name: self.name.clone() })
    }
}

/// The identity record of schema 1, when every device held the member key.
#[derive(Deserialize)]
struct IdentityRecordV1 {
    name: String,
    #[serde(with = "crate::identity::hex_bytes")]
    member_secret: [u8; 32],
    #[serde(with = "crate::identity::hex_bytes")]
    device_secret: [u8; 32],
    device_cert: DeviceCert,
}

/// A neighbourhood this member belongs to, as stored on this device.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NeighbourhoodRecord {
    /// The neighbourhood's id (its root public key).
    pub id: NeighbourhoodId,
    /// Its name.
    pub name: String,
    /// This member's proof of membership.
    pub chain: Chain,
    /// Present on admins' devices: the root secret that signs revocations.
    #[serde(with = "crate::identity::hex_bytes::option")]
    pub root_secret: Option<[u8; 32]>,
    /// When this member joined (or founded) it, in milliseconds since the Unix epoch.
    pub joined_at: u64,
    /// Member revocations issued by the admin, as known here.
    pub revocations: Vec<Revocation>,
    /// Peer addresses learned from tickets (and later from the network).
    pub known_addrs: Vec<String>,
    /// The neighbourhood's shared secret: made by the founder, carried by invite tickets, known
    /// only to members (and past members). Sync handshakes prove knowledge of it before anything
    /// else is said (ADR 0013). `None` for a neighbourhood created before there was one (and in
    /// export files written then): see [`NeighbourhoodRecord::secret`].
    #[serde(default, with = "crate::identity::hex_bytes::option")]
    pub shared_secret: Option<[u8; 32]>,
}

impl NeighbourhoodRecord {
    /// The secret the sync handshake proves knowledge of: the shared one, or for a
    /// neighbourhood made before shared secrets existed, one derived from its id (which every
    /// member of it derives alike, and so can anyone who knows the id: see ADR 0013).
    pub fn secret(&self) -> [u8; 32] {
        self.shared_secret.unwrap_or_else(|| legacy_neighbourhood_secret(&self.id))
    }

    /// Whether this neighbourhood has no secret of its own (made before ADR 0013): a peer that
    /// knows its id can pass the first step of the handshake.
    pub fn legacy_secret(&self) -> bool {
        self.secret() == legacy_neighbourhood_secret(&self.id)
    }
}

/// The stand-in secret of a neighbourhood created before neighbourhoods had one: derived from
/// the id alone, so every member (old tickets, migrated stores, old export files) agrees on it.
/// Not secret from anyone who knows the id.
pub fn legacy_neighbourhood_secret(id: &NeighbourhoodId) -> [u8; 32] {
    blake3::derive_key("partage 2026 legacy neighbourhood secret", &id.0)
}

/// A member of a neighbourhood (this one included), as known here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// The member.
    pub member: MemberId,
    /// The member's display name, from their document's profile.
    pub name: String,
    /// The member's proof of membership.
    pub chain: Chain,
    /// The member's devices, as certified by the member key.
    pub devices: Vec<DeviceCert>,
    /// Devices the member revoked (valid revocations only).
    pub revoked_devices: Vec<DeviceRevocation>,
}

impl MemberRecord {
    /// Whether the member revoked `device` (by a valid revocation of theirs).
    pub fn device_revoked(&self, device: &crate::ids::DeviceId) -> bool {
        self.revoked_devices.iter().any(|r| r.device == *device && r.member == self.member && r.is_valid())
    }
}

/// Everything needed at startup, read in one transaction.
pub struct Loaded {
    /// The identity, if one was created.
    pub identity: Option<IdentityRecord>,
    /// Every neighbourhood.
    pub neighbourhoods: Vec<NeighbourhoodRecord>,
    /// Every member of every neighbourhood.
    pub members: Vec<MemberRecord>,
}

/// How many items [`Store::each_item_batch`] hands on at a time.
pub const ITEM_BATCH: usize = 256;

/// A document as stored: snapshot plus later changes, and the attestations that vouch for it.
pub struct StoredDoc {
    /// The last compacted snapshot (automerge's saved form), if any.
    pub snapshot: Option<Vec<u8>>,
    /// Raw automerge changes stored since the snapshot, in the order they were stored.
    pub changes: Vec<Vec<u8>>,
}

/// (neighbourhood, document owner).
pub type DocHeadsKey = (NeighbourhoodId, MemberId);

/// Non-durable commits in a row at most: the next one is durable.
const MAX_UNFLUSHED: usize = 8;

/// The redb store file: every record of a data directory. Reads run in their own read
/// transaction; writes go through [`Store::write`].
pub struct Store {
    pub(crate) db: Database,
    /// Transactions committed without being made durable yet (see [`Store::write_unflushed`]).
    unflushed: std::sync::atomic::AtomicUsize,
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    postcard::to_allocvec(value).map_err(|e| Error::Corrupt(format!("cannot encode record: {e}")))
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::Corrupt(format!("{what} record: {e}")))
}

pub(crate) fn doc_key(ns: &NeighbourhoodId, owner: &MemberId) -> Vec<u8> {
    [ns.0.as_slice(), owner.0.as_slice()].concat()
}

/// How many bytes of the owner's key lead an item's key.
const ITEM_OWNER_PREFIX: usize = 8;

/// An item's key in the item table: the first bytes of its owner's key, then its id. A member's
/// items sit side by side, so storing a whole document's items (a full sync) writes a few
/// leaves of the table instead of touching most of them (ids are random). Ids are unique on
/// their own (bound to their owner), so the prefix only orders, never disambiguates.
pub(crate) fn item_key(owner: &MemberId, id: &ItemId) -> [u8; ITEM_OWNER_PREFIX + ItemId::LEN] {
    let mut key = [0; ITEM_OWNER_PREFIX + ItemId::LEN];
    key[..ITEM_OWNER_PREFIX].copy_from_slice(&owner.0[..ITEM_OWNER_PREFIX]);
    key[ITEM_OWNER_PREFIX..].copy_from_slice(&id.0);
    key
}

/// Keys in `[prefix, prefix+1)`: every key that starts with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
}

impl Store {
    /// Opens (or creates) the store file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        {
            // Creating every table up front lets readers assume they exist.
            let meta = txn.open_table(META)?;
            for def in [NEIGHBOURHOODS, MEMBERS, SNAPSHOTS, CHANGES, ATTESTATIONS, ITEMS] {
                txn.open_table(def)?;
            }
            let found = match meta.get(KEY_SCHEMA)? {
                Some(v) => u32::from_be_bytes(
                    v.value().try_into().map_err(|_| Error::Corrupt("schema version".into()))?,
                ),
                None => SCHEMA_VERSION,
            };
            if found > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew { found, supported: SCHEMA_VERSION });
            }
            drop(meta);
            migrate(&txn, found)?;
            txn.open_table(META)?.insert(KEY_SCHEMA, SCHEMA_VERSION.to_be_bytes().as_slice())?;
        }
        txn.commit()?;
        Ok(Store { db, unflushed: std::sync::atomic::AtomicUsize::new(0) })
    }

    /// The schema version the file is at (after the migrations of [`Store::open`]).
    pub fn schema_version(&self) -> Result<u32> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let v = meta.get(KEY_SCHEMA)?.ok_or_else(|| Error::Corrupt("no schema version".into()))?;
        Ok(u32::from_be_bytes(v.value().try_into().map_err(|_| Error::Corrupt("schema version".into()))?))
    }

    /// Reads what a node needs at startup (identity, neighbourhoods, members) in one
    /// transaction; the items come from [`Store::each_item_batch`].
    pub fn load_all(&self) -> Result<Loaded> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let identity = match meta.get(KEY_IDENTITY)? {
            Some(v) => Some(decode(v.value(), "identity")?),
            None => None,
        };
        let mut neighbourhoods = Vec::new();
        for row in txn.open_table(NEIGHBOURHOODS)?.iter()? {
            neighbourhoods.push(decode(row?.1.value(), "neighbourhood")?);
        }
        let mut members = Vec::new();
        for row in txn.open_table(MEMBERS)?.iter()? {
            members.push(decode(row?.1.value(), "member")?);
        }
        Ok(Loaded { identity, neighbourhoods, members })
    }

    /// Decodes every stored item (the read model's rows) and hands them to `sink` in batches of
    /// [`ITEM_BATCH`], so that a reopen can build the read model on another thread while this
    /// one decodes (`Node::open`).
    pub fn each_item_batch(&self, mut sink: impl FnMut(Vec<Item>)) -> Result<()> {
        let txn = self.db.begin_read()?;
        let mut batch = Vec::with_capacity(ITEM_BATCH);
        for row in txn.open_table(ITEMS)?.iter()? {
            batch.push(decode(row?.1.value(), "item")?);
            if batch.len() == ITEM_BATCH {
                sink(std::mem::replace(&mut batch, Vec::with_capacity(ITEM_BATCH)));
            }
        }
        if !batch.is_empty() {
            sink(batch);
        }
        Ok(())
    }

    /// The stored document of `owner` in `ns` (snapshot and later changes), if any is stored.
    pub fn doc(&self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<Option<StoredDoc>> {
        let key = doc_key(ns, owner);
        let txn = self.db.begin_read()?;
        let snapshot = txn.open_table(SNAPSHOTS)?.get(key.as_slice())?.map(|v| v.value().to_vec());
        let end = prefix_end(&key);
        let mut changes = Vec::new();
        for row in txn.open_table(CHANGES)?.range(key.as_slice()..end.as_slice())? {
            changes.push(row?.1.value().to_vec());
        }
        Ok((snapshot.is_some() || !changes.is_empty()).then_some(StoredDoc { snapshot, changes }))
    }

    /// All rows of a table, or none if the table was never written (tables added by later
    /// features are created on first write).
    pub(crate) fn rows(&self, def: TableDefinition<&[u8], &[u8]>) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(def) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Every stored admission, with its neighbourhood.
    pub fn admissions(&self) -> Result<Vec<Admission>> {
        self.rows(ADMISSIONS)?.iter().map(|(_, v)| decode(v, "admission")).collect()
    }

    /// Members who left or erased their data, with the departure code.
    pub fn departed(&self) -> Result<Vec<(DocHeadsKey, u8)>> {
        let mut out = Vec::new();
        for (key, value) in self.rows(DEPARTED)? {
            let ns = key.get(..32).and_then(NeighbourhoodId::from_slice);
            let owner = key.get(32..).and_then(MemberId::from_slice);
            if let (Some(ns), Some(owner), Some(code)) = (ns, owner, value.first()) {
                out.push(((ns, owner), *code));
            }
        }
        Ok(out)
    }

    /// Stored heads of every document (documents written before heads were stored have none).
    pub fn all_heads(&self) -> Result<Vec<(DocHeadsKey, Vec<[u8; 32]>)>> {
        let mut out = Vec::new();
        for (key, value) in self.rows(DOC_HEADS)? {
            let ns = key.get(..32).and_then(NeighbourhoodId::from_slice);
            let owner = key.get(32..).and_then(MemberId::from_slice);
            if let (Some(ns), Some(owner)) = (ns, owner) {
                out.push(((ns, owner), decode(&value, "heads")?));
            }
        }
        Ok(out)
    }

    /// The stored attestations of the given change hashes (those that exist).
    pub fn attestations_of<'a>(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        hashes: impl IntoIterator<Item = &'a [u8; 32]>,
    ) -> Result<Vec<Attestation>> {
        let prefix = doc_key(ns, owner);
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ATTESTATIONS)?;
        let mut out = Vec::new();
        for hash in hashes {
            let key = [prefix.as_slice(), hash].concat();
            if let Some(v) = table.get(key.as_slice())? {
                out.push(decode(v.value(), "attestation")?);
            }
        }
        Ok(out)
    }

    /// Every stored attestation of `owner`'s document in `ns`.
    pub fn attestations(&self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<Vec<Attestation>> {
        let key = doc_key(ns, owner);
        let end = prefix_end(&key);
        let txn = self.db.begin_read()?;
        let mut out = Vec::new();
        for row in txn.open_table(ATTESTATIONS)?.range(key.as_slice()..end.as_slice())? {
            out.push(decode(row?.1.value(), "attestation")?);
        }
        Ok(out)
    }

    /// Runs `f` in one durable write transaction; nothing is written if it fails.
    pub fn write<T>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let txn = self.db.begin_write()?;
        let value = f(&mut Writer { txn: &txn })?;
        txn.commit()?;
        // A durable commit makes every earlier one durable too.
        self.unflushed.store(0, std::sync::atomic::Ordering::Relaxed);
        Ok(value)
    }

    /// Like [`Store::write`], without waiting for the disk: the transaction is visible at once
    /// and becomes durable with the next durable commit ([`Store::flush`], any [`Store::write`],
    /// or dropping the store). For data that can be fetched again (documents received from a
    /// peer in a sync round): a crash before the flush loses them, never half of them.
    pub fn write_unflushed<T>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        if self.unflushed.load(std::sync::atomic::Ordering::Relaxed) + 1 >= MAX_UNFLUSHED {
            // A bound on what a crash can lose and on redb's chain of non-durable commits
            // (pages they free are reused only after a durable one).
            return self.write(f);
        }
        let mut txn = self.db.begin_write()?;
        txn.set_durability(redb::Durability::None).map_err(|e| Error::Storage(e.to_string()))?;
        let value = f(&mut Writer { txn: &txn })?;
        txn.commit()?;
        self.unflushed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(value)
    }

    /// Makes every committed transaction durable (one fsync), if one is not yet.
    pub fn flush(&self) -> Result<()> {
        if self.unflushed.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            self.write(|_| Ok(()))?;
        }
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Closing makes non-durable commits durable in redb 4 too; this does not depend on it.
        let _ = self.flush();
    }
}

/// Migrations from older schema versions, run inside the opening transaction.
fn migrate(txn: &WriteTransaction, from: u32) -> Result<()> {
    let mut version = from;
    while version < SCHEMA_VERSION {
        if version == 1 {
            migrate_identity_member_key_optional(txn)?;
            migrate_neighbourhood_secret(txn)?;
        }
        if version == 2 {
            migrate_items_keyed_by_owner(txn)?;
        }
        version += 1;
    }
    Ok(())
}

/// 2 → 3: items move from the table keyed by id to the one keyed by [`item_key`].
fn migrate_items_keyed_by_owner(txn: &WriteTransaction) -> Result<()> {
    let old = match txn.open_table(ITEMS_BY_ID) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut new = txn.open_table(ITEMS)?;
    for row in old.iter()? {
        let (_, value) = row?;
        let item: Item = decode(value.value(), "item (schema 2)")?;
        new.insert(item_key(&item.owner, &item.id).as_slice(), value.value())?;
    }
    drop((old, new));
    txn.delete_table(ITEMS_BY_ID)?;
    Ok(())
}

/// 1 → 2: the member secret became optional (linked devices have none).
fn migrate_identity_member_key_optional(txn: &WriteTransaction) -> Result<()> {
    let mut meta = txn.open_table(META)?;
    let old = match meta.get(KEY_IDENTITY)? {
        Some(v) => decode::<IdentityRecordV1>(v.value(), "identity (schema 1)")?,
        None => return Ok(()),
    };
    let new = IdentityRecord {
        name: old.name,
        member_secret: Some(old.member_secret),
        device_secret: old.device_secret,
        device_cert: old.device_cert,
    };
    meta.insert(KEY_IDENTITY, encode(&new)?.as_slice())?;
    Ok(())
}

/// A neighbourhood record as schema 1 stored it (before `shared_secret`).
#[derive(Deserialize)]
struct NeighbourhoodRecordV1 {
    id: NeighbourhoodId,
    name: String,
    chain: Chain,
    #[serde(with = "crate::identity::hex_bytes::option")]
    root_secret: Option<[u8; 32]>,
    joined_at: u64,
    revocations: Vec<Revocation>,
    known_addrs: Vec<String>,
}

/// Schema 1 → 2: neighbourhood records gain `shared_secret`. Those neighbourhoods were made
/// before there was one, so it is `None` (the legacy secret derived from the id, which all
/// their members derive alike: see [`legacy_neighbourhood_secret`]).
fn migrate_neighbourhood_secret(txn: &WriteTransaction) -> Result<()> {
    let mut table = txn.open_table(NEIGHBOURHOODS)?;
    let mut rewritten = Vec::new();
    for row in table.iter()? {
        let (key, value) = row?;
        let old: NeighbourhoodRecordV1 = decode(value.value(), "neighbourhood (schema 1)")?;
        let rec = NeighbourhoodRecord {
            id: old.id,
            name: old.name,
            chain: old.chain,
            root_secret: old.root_secret,
            joined_at: old.joined_at,
            revocations: old.revocations,
            known_addrs: old.known_addrs,
            shared_secret: None,
        };
        rewritten.push((key.value().to_vec(), encode(&rec)?));
    }
    for (key, value) in rewritten {
        table.insert(key.as_slice(), value.as_slice())?;
    }
    Ok(())
}

/// Write operations inside one transaction. Feature modules add their own tables with
/// `impl Writer` blocks in their own files, using `Writer::txn`.
pub struct Writer<'t> {
    pub(crate) txn: &'t WriteTransaction,
}

impl Writer<'_> {
    /// Stores (replaces) the identity record.
    pub fn put_identity(&mut self, rec: &IdentityRecord) -> Result<()> {
        self.txn.open_table(META)?.insert(KEY_IDENTITY, encode(rec)?.as_slice())?;
        Ok(())
    }

    /// Stores (replaces) a neighbourhood record.
    pub fn put_neighbourhood(&mut self, rec: &NeighbourhoodRecord) -> Result<()> {
        self.txn.open_table(NEIGHBOURHOODS)?.insert(rec.id.0.as_slice(), encode(rec)?.as_slice())?;
        Ok(())
    }

    /// Stores (replaces) a member record.
    pub fn put_member(&mut self, rec: &MemberRecord) -> Result<()> {
        let key = doc_key(&rec.neighbourhood, &rec.member);
        self.txn.open_table(MEMBERS)?.insert(key.as_slice(), encode(rec)?.as_slice())?;
        Ok(())
    }

    /// Appends one raw automerge change to `owner`'s document in `ns`, after those stored.
    pub fn append_change(&mut self, ns: &NeighbourhoodId, owner: &MemberId, change: &[u8]) -> Result<()> {
        let prefix = doc_key(ns, owner);
        let end = prefix_end(&prefix);
        let mut table = self.txn.open_table(CHANGES)?;
        let next = match table.range(prefix.as_slice()..end.as_slice())?.next_back() {
            Some(row) => {
                let key = row?.0.value().to_vec();
                let seq: [u8; 8] = key
                    .get(prefix.len()..)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(|| Error::Corrupt("change key".into()))?;
                u64::from_be_bytes(seq).saturating_add(1)
            }
            None => 0,
        };
        let key = [prefix.as_slice(), &next.to_be_bytes()].concat();
        table.insert(key.as_slice(), change)?;
        Ok(())
    }

    /// Replaces a document's stored changes by one compacted snapshot.
    pub fn put_snapshot(&mut self, ns: &NeighbourhoodId, owner: &MemberId, snapshot: &[u8]) -> Result<()> {
        let key = doc_key(ns, owner);
        self.txn.open_table(SNAPSHOTS)?.insert(key.as_slice(), snapshot)?;
        let end = prefix_end(&key);
        self.txn.open_table(CHANGES)?.retain_in(key.as_slice()..end.as_slice(), |_, _| false)?;
        Ok(())
    }

    /// Records that `owner` left `ns` (`code` 1) or erased their data there (`code` 2).
    pub fn put_departed(&mut self, ns: &NeighbourhoodId, owner: &MemberId, code: u8) -> Result<()> {
        self.txn.open_table(DEPARTED)?.insert(doc_key(ns, owner).as_slice(), [code].as_slice())?;
        Ok(())
    }

    /// Forgets every attestation of a document (its history was replaced by a new epoch).
    pub fn clear_attestations(&mut self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<()> {
        let key = doc_key(ns, owner);
        let end = prefix_end(&key);
        self.txn.open_table(ATTESTATIONS)?.retain_in(key.as_slice()..end.as_slice(), |_, _| false)?;
        Ok(())
    }

    /// Stores (replaces) the current heads of `owner`'s document in `ns`.
    pub fn put_heads(&mut self, ns: &NeighbourhoodId, owner: &MemberId, heads: &[[u8; 32]]) -> Result<()> {
        let key = doc_key(ns, owner);
        self.txn.open_table(DOC_HEADS)?.insert(key.as_slice(), encode(&heads)?.as_slice())?;
        Ok(())
    }

    /// Stores an attestation of `owner`'s document in `ns`, keyed by the change it signs.
    pub fn put_attestation(
        &mut self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        att: &Attestation,
    ) -> Result<()> {
        let key = [doc_key(ns, owner).as_slice(), &att.hash].concat();
        self.txn.open_table(ATTESTATIONS)?.insert(key.as_slice(), encode(att)?.as_slice())?;
        Ok(())
    }

    /// Stores (replaces) the admission of `a.member` in `a.neighbourhood`.
    pub fn put_admission(&mut self, a: &Admission) -> Result<()> {
        let key = doc_key(&a.neighbourhood, &a.member);
        self.txn.open_table(ADMISSIONS)?.insert(key.as_slice(), encode(a)?.as_slice())?;
        Ok(())
    }

    /// Stores (replaces) an item of the read model.
    pub fn put_item(&mut self, item: &Item) -> Result<()> {
        let key = item_key(&item.owner, &item.id);
        self.txn.open_table(ITEMS)?.insert(key.as_slice(), encode(item)?.as_slice())?;
        Ok(())
    }

    /// [`Writer::put_item`] for many items, the table opened once and the keys inserted in
    /// order (a whole document of a full sync).
    pub fn put_items(&mut self, items: &[Item]) -> Result<()> {
        let mut keyed: Vec<_> = items.iter().map(|i| (item_key(&i.owner, &i.id), i)).collect();
        keyed.sort_unstable_by_key(|(key, _)| *key);
        let mut table = self.txn.open_table(ITEMS)?;
        for (key, item) in keyed {
            table.insert(key.as_slice(), encode(item)?.as_slice())?;
        }
        Ok(())
    }

    /// Deletes `owner`'s item `id` from the read model (nothing if it is not there).
    pub fn delete_item(&mut self, owner: &MemberId, id: &ItemId) -> Result<()> {
        self.txn.open_table(ITEMS)?.remove(item_key(owner, id).as_slice())?;
        Ok(())
    }

    /// Deletes what is stored about every member of `ns` but `keep` (its record and document
    /// stay), and the listed items (owner, id).
    pub fn delete_others_in(
        &mut self,
        ns: &NeighbourhoodId,
        keep: &MemberId,
        items: &[(MemberId, ItemId)],
    ) -> Result<()> {
        let end = prefix_end(&ns.0);
        let mine = doc_key(ns, keep);
        for def in [MEMBERS, SNAPSHOTS, CHANGES, ATTESTATIONS, DOC_HEADS, ADMISSIONS] {
            self.txn
                .open_table(def)?
                .retain_in(ns.0.as_slice()..end.as_slice(), |k, _| k.starts_with(&mine))?;
        }
        let mut table = self.txn.open_table(ITEMS)?;
        for (owner, id) in items {
            table.remove(item_key(owner, id).as_slice())?;
        }
        Ok(())
    }

    /// Erases everything stored about neighbourhood `ns` (leaving it), and the listed items
    /// (owner, id).
    pub fn delete_neighbourhood(&mut self, ns: &NeighbourhoodId, items: &[(MemberId, ItemId)]) -> Result<()> {
        self.txn.open_table(NEIGHBOURHOODS)?.remove(ns.0.as_slice())?;
        let end = prefix_end(&ns.0);
        for def in [MEMBERS, SNAPSHOTS, CHANGES, ATTESTATIONS, DOC_HEADS, ADMISSIONS, DEPARTED] {
            self.txn.open_table(def)?.retain_in(ns.0.as_slice()..end.as_slice(), |_, _| false)?;
        }
        let mut table = self.txn.open_table(ITEMS)?;
        for (owner, id) in items {
            table.remove(item_key(owner, id).as_slice())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;

    /// Schema 1's identity layout, written the way schema 1 wrote it.
    #[derive(Serialize)]
    struct V1<'a> {
        name: &'a str,
        #[serde(with = "crate::identity::hex_bytes")]
        member_secret: [u8; 32],
        #[serde(with = "crate::identity::hex_bytes")]
        device_secret: [u8; 32],
        device_cert: &'a DeviceCert,
    }

    #[test]
    fn a_schema_1_identity_opens_with_its_member_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let id = Identity::generate("Ada".into(), 1).unwrap();
        let member_secret = id.member_key.as_ref().unwrap().to_bytes();
        {
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut meta = txn.open_table(META).unwrap();
                meta.insert(KEY_SCHEMA, 1u32.to_be_bytes().as_slice()).unwrap();
                let v1 = V1 {
                    name: "Ada",
                    member_secret,
                    device_secret: id.device_key.to_bytes(),
                    device_cert: &id.device_cert,
                };
                meta.insert(KEY_IDENTITY, postcard::to_allocvec(&v1).unwrap().as_slice()).unwrap();
            }
            txn.commit().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let loaded = store.load_all().unwrap().identity.unwrap().to_identity().unwrap();
        assert_eq!(loaded.member_key.as_ref().map(SecretKey::to_bytes), Some(member_secret));
        assert_eq!(loaded.device_id(), id.device_id());
        assert_eq!(loaded.name, "Ada");
    }
}

#[cfg(test)]
mod neighbourhood_secret_tests {
    use super::*;
    use crate::membership::{Cert, CertKind};

    /// The record as schema 1 wrote it (postcard, field by field).
    #[derive(Serialize)]
    struct V1<'a> {
        id: NeighbourhoodId,
        name: &'a str,
        chain: &'a Chain,
        #[serde(with = "crate::identity::hex_bytes::option")]
        root_secret: Option<[u8; 32]>,
        joined_at: u64,
        revocations: Vec<Revocation>,
        known_addrs: Vec<String>,
    }

    #[test]
    fn a_schema_1_store_opens_with_legacy_neighbourhood_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let root = SecretKey::generate().unwrap();
        let ns = NeighbourhoodId(root.public());
        let chain = vec![Cert::issue(&root, CertKind::Member, ns, "Rue", [7; 32], 1, None, 0)];
        let old = V1 {
            id: ns,
            name: "Rue",
            chain: &chain,
            root_secret: Some(root.to_bytes()),
            joined_at: 5,
            revocations: Vec::new(),
            known_addrs: vec!["/ip4/127.0.0.1/tcp/1".into()],
        };
        {
            // Written as schema 1 did: its tables, its version, its record layout.
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().insert(KEY_SCHEMA, 1u32.to_be_bytes().as_slice()).unwrap();
            let bytes = postcard::to_allocvec(&old).unwrap();
            txn.open_table(NEIGHBOURHOODS).unwrap().insert(ns.0.as_slice(), bytes.as_slice()).unwrap();
            txn.commit().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let loaded = store.load_all().unwrap();
        let [rec] = loaded.neighbourhoods.as_slice() else { panic!("{}", loaded.neighbourhoods.len()) };
        assert_eq!((rec.id, rec.name.as_str(), rec.joined_at), (ns, "Rue", 5));
        assert_eq!(rec.chain, chain);
        assert_eq!(rec.root_secret, Some(root.to_bytes()));
        assert_eq!(rec.known_addrs, ["/ip4/127.0.0.1/tcp/1"]);
        assert_eq!(rec.shared_secret, None);
        assert_eq!(rec.secret(), legacy_neighbourhood_secret(&ns));
        assert!(rec.legacy_secret());
        drop(store);
        // Opening again migrates nothing twice.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.load_all().unwrap().neighbourhoods[0].secret(), legacy_neighbourhood_secret(&ns));
    }

    #[test]
    fn records_without_a_secret_in_json_are_legacy_and_secrets_round_trip() {
        let root = SecretKey::generate().unwrap();
        let ns = NeighbourhoodId(root.public());
        let rec = NeighbourhoodRecord {
            id: ns,
            name: "Rue".into(),
            chain: Vec::new(),
            root_secret: None,
            joined_at: 1,
            revocations: Vec::new(),
            known_addrs: Vec::new(),
            shared_secret: Some([9; 32]),
        };
        let mut json = serde_json::to_value(&rec).unwrap();
        let back: NeighbourhoodRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((back.secret(), back.legacy_secret()), ([9; 32], false));
        let back: NeighbourhoodRecord = decode(&encode(&rec).unwrap(), "test").unwrap();
        assert_eq!(back.shared_secret, Some([9; 32]));
        // An export file written before shared secrets: the legacy secret.
        json.as_object_mut().unwrap().remove("shared_secret");
        let old: NeighbourhoodRecord = serde_json::from_value(json).unwrap();
        assert_eq!(old.secret(), legacy_neighbourhood_secret(&ns));
    }
}

#[cfg(test)]
mod item_key_tests {
    use super::*;
    use crate::model::ItemDraft;

    fn item(owner: MemberId, title: &str) -> Item {
        let ns = NeighbourhoodId([3; 32]);
        let (id, _) = ItemId::new_bound(&ns, &owner).unwrap();
        ItemDraft { title: title.into(), ..ItemDraft::default() }.into_item(id, ns, owner, 1).unwrap()
    }

    #[test]
    fn a_schema_2_store_opens_with_its_items_keyed_by_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let (ada, bo) = (MemberId([1; 32]), MemberId([2; 32]));
        let items = [item(ada, "Perceuse"), item(bo, "Échelle"), item(ada, "Tente")];
        {
            // Written as schema 2 did: items keyed by id alone, in the table named "items".
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().insert(KEY_SCHEMA, 2u32.to_be_bytes().as_slice()).unwrap();
            let mut table = txn.open_table(ITEMS_BY_ID).unwrap();
            for i in &items {
                table.insert(i.id.0.as_slice(), encode(i).unwrap().as_slice()).unwrap();
            }
            drop(table);
            txn.commit().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mut loaded = all_items(&store);
        loaded.sort_by_key(|i: &Item| i.title.clone());
        let mut expected = items.to_vec();
        expected.sort_by_key(|i| i.title.clone());
        assert_eq!(loaded, expected);
        assert!(store.rows(ITEMS_BY_ID).unwrap().is_empty(), "the old table is gone");
        // Deleting under the new key finds the migrated row.
        store.write(|w| w.delete_item(&ada, &items[0].id)).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        let left: Vec<String> = all_items(&store).into_iter().map(|i| i.title).collect();
        assert_eq!(left.len(), 2);
        assert!(!left.contains(&"Perceuse".to_string()));
    }

    #[test]
    fn a_members_items_sit_side_by_side_in_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let (ada, bo) = (MemberId([1; 32]), MemberId([2; 32]));
        let mixed: Vec<Item> =
            (0..20).map(|n| item(if n % 2 == 0 { ada } else { bo }, &format!("objet {n}"))).collect();
        store.write(|w| w.put_items(&mixed)).unwrap();
        let owners: Vec<MemberId> = store
            .rows(ITEMS)
            .unwrap()
            .iter()
            .map(|(_, v)| decode::<Item>(v, "item").unwrap().owner)
            .collect();
        assert_eq!(owners, [vec![ada; 10], vec![bo; 10]].concat());
    }

    /// Every stored item, as a reopen reads them.
    fn all_items(store: &Store) -> Vec<Item> {
        let mut items = Vec::new();
        store.each_item_batch(|batch| items.extend(batch)).unwrap();
        items
    }

    #[test]
    fn items_come_in_full_batches_then_the_rest_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let mut sizes = Vec::new();
        store.each_item_batch(|batch| sizes.push(batch.len())).unwrap();
        assert!(sizes.is_empty(), "an empty store hands on no batch");
        let stored: Vec<Item> =
            (0..2 * ITEM_BATCH + 3).map(|n| item(MemberId([n as u8; 32]), &format!("objet {n}"))).collect();
        store.write(|w| w.put_items(&stored)).unwrap();
        store.each_item_batch(|batch| sizes.push(batch.len())).unwrap();
        assert_eq!(sizes, [ITEM_BATCH, ITEM_BATCH, 3]);
        let mut read: Vec<ItemId> = all_items(&store).iter().map(|i| i.id).collect();
        let mut expected: Vec<ItemId> = stored.iter().map(|i| i.id).collect();
        read.sort();
        expected.sort();
        assert_eq!(read, expected);
    }
}
