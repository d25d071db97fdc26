//! The public facade. A [`Node`] owns one data directory: its store, its identity, the
//! member documents and the read model. Every method that changes something follows one path:
//! validate → write the automerge change → sign it → commit to redb → update the read model →
//! emit an event. The state sits behind a mutex that is never held across an `.await` (the core
//! API is synchronous; async wrappers run it on a blocking thread).

mod admissions;
mod bulk;
mod epochs;
mod erase_installation;
mod home_nodes;
pub use home_nodes::{MAX_HOME_NODE_ADDRS, MAX_HOME_NODES};
mod items;
mod link;
mod loan_views;
mod loans;
mod neighbourhoods;
mod network;
mod photo_sharing;
mod photos;
mod prepare;
mod read_at_open;
mod replication;
mod restore;
mod warm;

pub use bulk::{MAX_BATCH_ITEMS, check_items};
pub use items::AUTO_REBASE_MAX_ITEMS;
pub use loan_views::LoanFilter;
pub use neighbourhoods::{MemberSummary, NeighbourhoodSummary};
pub use network::{KnownPeer, MAX_ADDRS_PER_PEER, MAX_KNOWN_PEERS, MembershipProof};
pub use photo_sharing::BlobUse;
pub use prepare::{MAX_PREPARED_DOCS, PreparedDoc};
pub use replication::{
    DocBundle, DocPayload, DocSummary, ImportReport, MAX_BUNDLE_BYTES, MAX_CHANGES_PER_BUNDLE,
    MAX_DEVICE_REVOCATIONS, MAX_DOC_HEADS, MAX_MEMBER_DEVICES, MIN_CHANGE_BYTES,
};

use crate::attest::Attestation;
use crate::clock::now_ms;
use crate::doc::MemberDoc;
use crate::error::{Error, Result};
use crate::events::{EVENT_BUFFER, Event, Subscription};
use crate::identity::Identity;
use crate::ids::{DeviceId, MemberId, NeighbourhoodId};
use crate::model::validate_name;
use crate::readmodel::ReadModel;
use crate::secret_store::{self, SecretStore};
use crate::store::{MemberRecord, NeighbourhoodRecord, Store, Writer};
use automerge::Change;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// File name of the store inside a data directory.
pub const STORE_FILE: &str = "partage.redb";
/// After this many operations in stored changes a document is compacted into one snapshot
/// (about 1,000 single edits; one bulk import of 1,000 items is as many). Counted in
/// operations, not changes, so that loading the document never replays more than this.
const SNAPSHOT_EVERY_OPS: usize = 12_000;
/// At a compaction point, this member's own document is rebased instead (its history
/// forgotten: ADR 0015) when this device made at least this many changes in the current epoch
/// and is the member's only device: a long-edited document then stays as cheap to load and
/// send as a fresh one. A bulk import is one change and does not count as history.
pub const AUTO_REBASE_MIN_CHANGES: u64 = 100;
/// This member's own document also reaches a compaction point, before 12,000 operations,
/// once its history (operations that no longer show: overwritten values, removed records) is
/// at least this many operations and at least as many as it shows: a small document is
/// rebased after a period in proportion to its size (about 500 single edits for a document of
/// up to 75 items), so the history it carries stays within its own size, and a rebase, which
/// re-reads and re-sends the whole document, costs at most as much as the edits it follows.
/// Added items are not history: a document that only grows is not rebased before 12,000.
pub const AUTO_REBASE_MIN_OPS: u64 = 1_000;

type DocKey = (NeighbourhoodId, MemberId);

/// Who this installation is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityInfo {
    /// The member id (the person, the same on every device).
    pub member: MemberId,
    /// This device's id.
    pub device: DeviceId,
    /// The display name.
    pub name: String,
}

/// A Partage node: cheap to clone, safe to share between threads.
///
/// Two neighbours, each with a node of their own, share an item and run a loan, with the
/// documents carried between them as bytes (a network does the same with `partage-net`):
///
/// ```
/// use partage::clock::{format_day, today};
/// use partage::{ItemDraft, ItemFilter, LoanFilter, LoanState, Node};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
/// let alice = Node::open(a.path())?;
/// let bob = Node::open(b.path())?;
/// alice.init("Alice")?;
/// bob.init("Bob")?;
///
/// let street = alice.create_neighbourhood("Rue des Lilas")?;
/// let drill = alice.add_item(&street.id, ItemDraft { title: "Perceuse".into(), ..Default::default() })?;
/// bob.join(&alice.invite(&street.id, 7, 1, vec![])?)?;
///
/// // One offline sync each way: the receiver's summary, then what it lacks.
/// let sync = |from: &Node, to: &Node| -> partage::Result<()> {
///     to.apply_offline_bundle(&from.offline_bundle(&street.id, &to.offline_summary(&street.id)?)?)?;
///     Ok(())
/// };
/// sync(&alice, &bob)?;
/// assert_eq!(bob.search("perc", &ItemFilter::default())?[0].item.title, "Perceuse");
///
/// let day = format_day(today());
/// let loan = bob.request_loan(&drill.item.id, &day, &day, "Pour une étagère")?;
/// sync(&bob, &alice)?;
/// assert_eq!(alice.accept_loan(&loan.id, "Avec plaisir")?.state, LoanState::Accepted);
/// sync(&alice, &bob)?;
/// assert_eq!(bob.loans(&LoanFilter::default())?[0].state, LoanState::Accepted);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Node {
    state: Arc<Mutex<State>>,
    events: broadcast::Sender<Event>,
    data_dir: PathBuf,
}

struct State {
    store: Store,
    identity: Option<Identity>,
    /// Where the secret keys live when not in the store (see `crate::secret_store`).
    secrets: Option<Arc<dyn SecretStore>>,
    neighbourhoods: BTreeMap<NeighbourhoodId, NeighbourhoodRecord>,
    members: HashMap<DocKey, MemberRecord>,
    /// Documents loaded so far (lazily: reopening loads none).
    docs: HashMap<DocKey, MemberDoc>,
    /// Current heads of every document, kept with each commit (sync summaries read these).
    heads: HashMap<DocKey, Vec<[u8; 32]>>,
    /// Operations stored since the last snapshot, per document loaded in this session.
    unsnapshotted: HashMap<DocKey, usize>,
    /// Own documents that reached a compaction point worth a rebase (see `Node::rebase_if_due`).
    rebase_due: std::collections::HashSet<NeighbourhoodId>,
    /// Own documents being loaded on other threads since the store was opened.
    warming: warm::Warming,
    read: ReadModel,
    loans: loan_views::LoanBook,
    /// Admissions trusted here, per neighbourhood (see `crate::admission`).
    admissions: HashMap<NeighbourhoodId, crate::admission::AdmissionBook>,
    /// Membership judgements, cached (see `State::confirm`).
    standing: admissions::StandingCache,
    /// Members already reported as no longer standing (one event each per session).
    gone_reported: std::collections::HashSet<DocKey>,
    /// Days added to the wall clock (tests simulating time passing; 0 otherwise).
    clock_skew_days: i64,
    /// The device link code shown now, if any (see `crate::link`).
    link_offer: Option<link::LinkOffer>,
    /// Members who left a neighbourhood or erased their data (see `crate::doc_epoch`).
    departed: HashMap<DocKey, crate::doc_epoch::Departure>,
    /// The last store rewrite (see `Node::purge`), and whether one waits.
    last_purge: Option<std::time::Instant>,
    purge_pending: bool,
}

impl Node {
    /// Opens (creating if needed) the data directory `dir`. One `Node` at a time may hold a
    /// directory: a second open of the same one fails until the first is dropped.
    ///
    /// ```
    /// # fn main() -> partage::Result<()> {
    /// # let tmp = tempfile::tempdir().map_err(|e| partage::Error::Storage(e.to_string()))?;
    /// let node = partage::Node::open(tmp.path().join("partage"))?;
    /// assert!(node.identity()?.is_none()); // a fresh directory: create an identity first
    /// assert!(partage::Node::open(tmp.path().join("partage")).is_err());
    /// drop(node);
    /// assert!(partage::Node::open(tmp.path().join("partage")).is_ok());
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(dir: impl AsRef<Path>) -> Result<Node> {
        Node::open_with(dir, None)
    }

    /// Opens `dir` keeping the member and device secrets in `secrets` instead of the data
    /// directory (moving them there if the directory still holds them): see
    /// [`crate::secret_store`] and ADR 0018.
    ///
    /// ```
    /// use partage::{Node, SecretStore};
    /// use std::collections::HashMap;
    /// use std::sync::{Arc, Mutex};
    ///
    /// /// Stands in for the Android Keystore or the iOS Keychain.
    /// #[derive(Default)]
    /// struct Memory(Mutex<HashMap<String, Vec<u8>>>);
    ///
    /// impl SecretStore for Memory {
    ///     fn load(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
    ///         Ok(self.0.lock().map_err(|e| e.to_string())?.get(name).cloned())
    ///     }
    ///     fn save(&self, name: &str, secret: &[u8]) -> Result<(), String> {
    ///         self.0.lock().map_err(|e| e.to_string())?.insert(name.to_owned(), secret.to_vec());
    ///         Ok(())
    ///     }
    ///     fn delete(&self, name: &str) -> Result<(), String> {
    ///         self.0.lock().map_err(|e| e.to_string())?.remove(name);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let keys = Arc::new(Memory::default());
    /// let me = Node::open_with_secret_store(dir.path(), keys.clone())?.init("Alice")?;
    /// assert_eq!(keys.0.lock().unwrap().len(), 2); // the member and device secrets
    ///
    /// // Reopened with the same store: the same identity. Without it: refused.
    /// assert_eq!(Node::open_with_secret_store(dir.path(), keys)?.identity()?, Some(me));
    /// assert_eq!(Node::open(dir.path()).err().map(|e| e.kind()), Some(partage::ErrorKind::Storage));
    /// # Ok(())
    /// # }
    /// ```
    pub fn open_with_secret_store(dir: impl AsRef<Path>, secrets: Arc<dyn SecretStore>) -> Result<Node> {
        Node::open_with(dir, Some(secrets))
    }

    fn open_with(dir: impl AsRef<Path>, secrets: Option<Arc<dyn SecretStore>>) -> Result<Node> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(|source| Error::Io { path: dir.display().to_string(), source })?;
        let mut store = Store::open(&dir.join(STORE_FILE))?;
        let loaded = store.load_all()?;
        let identity = match &loaded.identity {
            Some(record) => Some(secret_store::identity_of(record, secrets.as_ref())?),
            None => None,
        };
        if let (Some(id), Some(record)) = (&identity, &loaded.identity)
            && secrets.is_some()
            && !secret_store::is_external(record)
        {
            // Installed on a directory that still holds the secrets: move them out, then rewrite
            // the file so that the old record's bytes do not linger in freed pages.
            let external = secret_store::record_for(id, secrets.as_ref())?;
            store.write(|w| w.put_identity(&external))?;
            store = store.rewritten(&dir.join(STORE_FILE))?;
        }
        // This member's documents load on their threads while the rest of the opening goes on.
        let warming = warm::start_warming(
            &store,
            identity.as_ref().map(Identity::member_id),
            loaded.neighbourhoods.iter().map(|n| n.id),
        );
        // The rest is read while another thread builds the read model.
        let (mut read, (loans, heads, stored_admissions, departed)) =
            read_at_open::read_model_and(&store, || {
                let (borrowing, lending) = store.loan_sides()?;
                let loans = loan_views::LoanBook::new(borrowing, lending);
                let heads: HashMap<_, _> = store.all_heads()?.into_iter().collect();
                let departed: HashMap<_, _> = store
                    .departed()?
                    .into_iter()
                    .map(|(key, code)| (key, crate::doc_epoch::Departure::from_code(code)))
                    .collect();
                Ok((loans, heads, store.admissions()?, departed))
            })?;
        let mut members = HashMap::new();
        for m in loaded.members {
            read.set_name(m.neighbourhood, m.member, m.name.clone());
            members.insert((m.neighbourhood, m.member), m);
        }
        let neighbourhoods = loaded.neighbourhoods.into_iter().map(|n| (n.id, n)).collect();
        let mut admissions: HashMap<NeighbourhoodId, crate::admission::AdmissionBook> = HashMap::new();
        for a in stored_admissions {
            admissions.entry(a.neighbourhood).or_default().insert(a);
        }
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let state = State {
            store,
            identity,
            secrets,
            neighbourhoods,
            members,
            docs: HashMap::new(),
            heads,
            unsnapshotted: HashMap::new(),
            rebase_due: Default::default(),
            warming,
            read,
            loans,
            admissions,
            standing: Default::default(),
            gone_reported: Default::default(),
            link_offer: None,
            departed,
            last_purge: None,
            purge_pending: false,
            clock_skew_days: 0,
        };
        let mut state = state;
        // Blobs left by removals made elsewhere (revocations, departures) or cut short.
        state.sweep_photos()?;
        Ok(Node { state: Arc::new(Mutex::new(state)), events, data_dir: dir })
    }

    /// The data directory this node was opened on.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Creates this installation's identity (member key, device key, certificate). Once only.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let node = partage::Node::open(dir.path())?;
    /// let me = node.init("Camille")?;
    /// assert_eq!(node.identity()?, Some(me));
    /// assert_eq!(node.init("Again").unwrap_err().kind(), partage::ErrorKind::AlreadyInitialised);
    /// # Ok(())
    /// # }
    /// ```
    pub fn init(&self, name: &str) -> Result<IdentityInfo> {
        let name = validate_name(name)?;
        let mut st = self.lock()?;
        if let Some(id) = &st.identity {
            return Err(Error::AlreadyInitialised { name: id.name.clone() });
        }
        let identity = Identity::generate(name, now_ms())?;
        let record = secret_store::record_for(&identity, st.secrets.as_ref())?;
        st.store.write(|w| w.put_identity(&record))?;
        let info = info(&identity);
        st.identity = Some(identity);
        Ok(info)
    }

    /// Whether the documents this device loads in the background after [`Node::open`] are
    /// loaded (ADR 0010). Never needed for correctness: a write that comes earlier waits for
    /// its document. An app can use it to know that the first write will not wait.
    pub fn is_warm(&self) -> Result<bool> {
        Ok(self.lock()?.warming.values().all(std::thread::JoinHandle::is_finished))
    }

    /// This installation's identity; `None` until [`Node::init`] (or a device link) created one.
    pub fn identity(&self) -> Result<Option<IdentityInfo>> {
        Ok(self.lock()?.identity.as_ref().map(info))
    }

    /// Changes the display name, in the identity and in every neighbourhood's profile.
    pub fn set_name(&self, name: &str) -> Result<()> {
        let name = validate_name(name)?;
        let mut st = self.lock()?;
        let mut identity = st.identity()?.clone();
        identity.name = name.clone();
        let me = identity.member_id();
        let nss: Vec<NeighbourhoodId> = st.neighbourhoods.keys().copied().collect();
        let mut changes = Vec::new();
        for ns in &nss {
            if let Some(change) = st.doc_mut(ns, &me)?.set_name(&name)? {
                changes.push((*ns, change));
            }
        }
        let record = secret_store::record_for(&identity, st.secrets.as_ref())?;
        let result = st.store.write(|w| {
            w.put_identity(&record)?;
            for (ns, change) in &changes {
                st_commit_change(w, &identity, ns, change)?;
                w.put_heads(ns, &me, &[change.hash().0])?;
                if let Some(rec) = st.members.get(&(*ns, me)) {
                    let mut rec = rec.clone();
                    rec.name = name.clone();
                    w.put_member(&rec)?;
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            st.forget_docs(&nss, &me);
            return Err(e);
        }
        for ns in nss {
            if let Some(rec) = st.members.get_mut(&(ns, me)) {
                rec.name = name.clone();
            }
            st.read.set_name(ns, me, name.clone());
            if let Some((_, change)) = changes.iter().find(|(n, _)| *n == ns) {
                st.heads.insert((ns, me), vec![change.hash().0]);
                st.note_change(ns, me, change.len());
            }
            self.emit(Event::MemberUpdated { neighbourhood: ns, member: me, name: name.clone() });
        }
        st.identity = Some(identity);
        Ok(())
    }

    /// Shifts this node's clock by `days` (for tests and simulations of days passing; the
    /// shift is not stored and resets on reopen).
    #[doc(hidden)]
    pub fn shift_clock_days(&self, days: i64) -> Result<()> {
        self.lock()?.clock_skew_days = days;
        Ok(())
    }

    /// A new receiver of the event stream (bounded; see [`Subscription`]). Subscribe before
    /// reading what you show, so that no change falls in between.
    ///
    /// ```
    /// use partage::{Event, ItemDraft, Node};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let node = Node::open(dir.path())?;
    /// node.init("Alice")?;
    /// let street = node.create_neighbourhood("Rue")?;
    /// let mut events = node.subscribe();
    /// node.add_item(&street.id, ItemDraft { title: "Échelle".into(), ..Default::default() })?;
    /// assert!(matches!(events.try_recv(), Some(Event::ItemAdded(view)) if view.item.title == "Échelle"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self.events.subscribe())
    }

    fn emit(&self, event: Event) {
        // No subscriber is not an error: events are for whoever listens.
        let _ = self.events.send(event);
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| {
            Error::Storage("an earlier operation failed midway; reopen the data directory".into())
        })
    }
}

fn info(id: &Identity) -> IdentityInfo {
    IdentityInfo { member: id.member_id(), device: id.device_id(), name: id.name.clone() }
}

/// Stores one local change and its attestation.
fn st_commit_change(
    w: &mut Writer<'_>,
    identity: &Identity,
    ns: &NeighbourhoodId,
    change: &Change,
) -> Result<()> {
    let owner = identity.member_id();
    w.append_change(ns, &owner, change.raw_bytes())?;
    w.put_attestation(ns, &owner, &Attestation::sign(&identity.device_key, ns, &owner, &change.hash()))
}

impl State {
    fn identity(&self) -> Result<&Identity> {
        self.identity.as_ref().ok_or(Error::NoIdentity)
    }

    fn neighbourhood(&self, ns: &NeighbourhoodId) -> Result<&NeighbourhoodRecord> {
        self.neighbourhoods.get(ns).ok_or(Error::UnknownNeighbourhood(*ns))
    }

    /// The document of `owner` in `ns`, loading it from the store on first use.
    fn doc_mut(&mut self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<&mut MemberDoc> {
        let key = (*ns, *owner);
        if !self.docs.contains_key(&key) {
            let (mut doc, ops) = match self.take_warmed(&key) {
                Some(warmed) => warmed,
                None => {
                    let stored = self.store.doc(ns, owner)?.ok_or_else(|| {
                        Error::Corrupt(format!(
                            "document of member {} is missing from the store",
                            owner.short()
                        ))
                    })?;
                    warm::load_stored(stored)?
                }
            };
            self.unsnapshotted.insert(key, ops);
            if let Some(id) = &self.identity {
                doc.set_device(id.device_id());
            }
            self.docs.insert(key, doc);
        }
        self.docs.get_mut(&key).ok_or_else(|| Error::Corrupt("document cache".into()))
    }

    /// Stores one local change of this member's document, plus the rows `more` writes, in one
    /// durable transaction. On failure the cached document is dropped, so memory never runs
    /// ahead of the store.
    fn commit_local(
        &mut self,
        ns: NeighbourhoodId,
        change: &Change,
        more: impl FnOnce(&mut Writer<'_>) -> Result<()>,
    ) -> Result<()> {
        let identity = self.identity()?.clone();
        let me = identity.member_id();
        // A local change depends on every current head, so it becomes the only head.
        let heads = [change.hash().0];
        let result = self.store.write(|w| {
            st_commit_change(w, &identity, &ns, change)?;
            w.put_heads(&ns, &me, &heads)?;
            more(w)
        });
        if let Err(e) = result {
            self.forget_docs(&[ns], &me);
            return Err(e);
        }
        self.heads.insert((ns, me), heads.to_vec());
        self.note_change(ns, me, change.len());
        Ok(())
    }

    /// Current heads of a document, from the cache kept with each commit (or the document).
    fn heads_of(&mut self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<Vec<[u8; 32]>> {
        if let Some(h) = self.heads.get(&(*ns, *owner)) {
            return Ok(h.clone());
        }
        let heads: Vec<[u8; 32]> = self.doc_mut(ns, owner)?.heads().iter().map(|h| h.0).collect();
        self.heads.insert((*ns, *owner), heads.clone());
        Ok(heads)
    }

    /// Drops cached documents after a failed write, so memory never runs ahead of the store.
    fn forget_docs(&mut self, nss: &[NeighbourhoodId], owner: &MemberId) {
        for ns in nss {
            self.heads.remove(&(*ns, *owner));
            self.docs.remove(&(*ns, *owner));
            self.unsnapshotted.remove(&(*ns, *owner));
        }
    }

    /// Counts the operations of a stored change and compacts the document once enough have
    /// piled up.
    fn note_change(&mut self, ns: NeighbourhoodId, owner: MemberId, ops: usize) {
        let count = self.unsnapshotted.entry((ns, owner)).or_insert(0);
        *count = count.saturating_add(ops.max(1));
        let count = *count;
        if (count >= SNAPSHOT_EVERY_OPS || self.own_history_outgrew(&ns, &owner))
            && self.worth_a_rebase(&ns, &owner)
        {
            // The rebase (right after this commit) stores a snapshot of the new epoch.
            self.unsnapshotted.insert((ns, owner), 0);
            self.rebase_due.insert(ns);
            return;
        }
        if count < SNAPSHOT_EVERY_OPS {
            return;
        }
        if let Some(doc) = self.docs.get_mut(&(ns, owner)) {
            let snapshot = doc.save();
            // Compaction is an optimisation: if it fails the changes are still stored.
            if self.store.write(|w| w.put_snapshot(&ns, &owner, &snapshot)).is_ok() {
                self.unsnapshotted.insert((ns, owner), 0);
            }
        }
    }
}
