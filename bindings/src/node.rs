//! The `Node` object: one data directory. A thin wrapper: every method parses its arguments,
//! runs the core call on a blocking thread and converts the result.

use crate::error::PartageError;
use crate::events::{EventListener, Subscription};
use crate::network::lifecycle::NetSlot;
use crate::runtime::blocking;
use crate::time::{count, non_negative};
use crate::types::{
    DataOnlySummary, Identity, Item, ItemDraft, ItemFilter, ItemPage, ItemPatch, Member, Neighbourhood,
    TransferSummary, parse_item, parse_member, parse_neighbourhood,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use zeroize::Zeroizing;

/// A Partage node: this device's identity, neighbourhoods and their shared inventory,
/// stored in one data directory. Safe to use from any thread; every call that touches the
/// store is `async` (Kotlin `suspend`, Swift `async`).
#[derive(uniffi::Object)]
pub struct Node {
    pub(crate) inner: Arc<partage::Node>,
    /// The network, if started, and who wants it running (see `network/lifecycle.rs`).
    net: Arc<NetSlot>,
    /// Event delivery threads still running (what `event_subscriptions` reports).
    deliveries: Arc<AtomicUsize>,
}

impl Node {
    /// Opens a core node on a blocking thread and wraps it.
    pub(crate) async fn open_core(
        open: impl FnOnce() -> partage::Result<partage::Node> + Send + 'static,
    ) -> Result<Arc<Node>, PartageError> {
        let node = blocking(open).await?;
        Ok(Arc::new(Node { inner: Arc::new(node), net: Arc::default(), deliveries: Arc::default() }))
    }

    /// A clone of the core node to move into a blocking task.
    pub(crate) fn core(&self) -> Arc<partage::Node> {
        Arc::clone(&self.inner)
    }

    pub(crate) fn net_slot(&self) -> &Arc<NetSlot> {
        &self.net
    }

    /// Runs `call` on a blocking thread with the core node and the parsed neighbourhood id.
    async fn in_neighbourhood<T: Send + 'static>(
        &self,
        neighbourhood_id: String,
        call: impl FnOnce(&partage::Node, &partage::NeighbourhoodId) -> partage::Result<T> + Send + 'static,
    ) -> Result<T, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let n = self.core();
        blocking(move || call(&n, &ns)).await
    }
}

impl Drop for Node {
    /// Released without `shutdown()`: stop the network in the background.
    fn drop(&mut self) {
        let network = self.net.lock().network.take();
        if let (Some(network), Ok(rt)) = (network, crate::runtime::runtime()) {
            rt.spawn(async move { network.stop().await });
        }
    }
}

#[uniffi::export]
impl Node {
    /// Opens (creating if needed) the data directory `data_dir`. Only one `Node` at a time may
    /// hold a directory: drop (Kotlin `close()`) the previous one first.
    #[uniffi::constructor]
    pub async fn open(data_dir: String) -> Result<Arc<Node>, PartageError> {
        if data_dir.trim().is_empty() {
            return Err(PartageError::invalid("data directory is empty"));
        }
        Node::open_core(move || partage::Node::open(PathBuf::from(data_dir))).await
    }

    /// The data directory this node stores everything in.
    pub fn data_dir(&self) -> String {
        self.inner.data_dir().display().to_string()
    }

    // ---- identity and profile ----

    /// Creates this installation's identity (member key, device key) with a display name.
    pub async fn create_identity(&self, name: String) -> Result<Identity, PartageError> {
        let n = self.core();
        blocking(move || n.init(&name)).await.map(Into::into)
    }

    /// This installation's identity, or `null`/`nil` before `init`.
    pub async fn identity(&self) -> Result<Option<Identity>, PartageError> {
        let n = self.core();
        Ok(blocking(move || n.identity()).await?.map(Into::into))
    }

    /// Changes the display name everywhere (identity and every neighbourhood's profile).
    pub async fn set_name(&self, name: String) -> Result<(), PartageError> {
        let n = self.core();
        blocking(move || n.set_name(&name)).await
    }

    // ---- neighbourhoods ----

    /// Creates a neighbourhood; this device becomes its founder and admin.
    pub async fn create_neighbourhood(&self, name: String) -> Result<Neighbourhood, PartageError> {
        let n = self.core();
        blocking(move || n.create_neighbourhood(&name)).await.map(Into::into)
    }

    /// An invite ticket valid for `expires_in_days` (1 to 365) days that admits up to `uses`
    /// people (1 to 500; expiry and uses are judged by the members who confirm joiners).
    /// `addresses` are this device's network addresses (multiaddrs), so the joiner can find it.
    pub async fn invite(
        &self,
        neighbourhood_id: String,
        expires_in_days: i32,
        uses: i32,
        addresses: Vec<String>,
    ) -> Result<String, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let expires_in_days = non_negative(expires_in_days.into(), "expiry in days")?;
        let uses = non_negative(uses.into(), "uses")?;
        let n = self.core();
        blocking(move || n.invite(&ns, expires_in_days, uses, addresses)).await
    }

    /// Joins with a ticket, offline.
    pub async fn join(&self, ticket: String) -> Result<Neighbourhood, PartageError> {
        let n = self.core();
        blocking(move || n.join(&ticket)).await.map(Into::into)
    }

    pub async fn neighbourhoods(&self) -> Result<Vec<Neighbourhood>, PartageError> {
        let n = self.core();
        Ok(blocking(move || n.neighbourhoods()).await?.into_iter().map(Into::into).collect())
    }

    pub async fn neighbourhood(&self, neighbourhood_id: String) -> Result<Neighbourhood, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let n = self.core();
        blocking(move || n.neighbourhood(&ns)).await.map(Into::into)
    }

    /// Members known in a neighbourhood (those whose data reached this device, and me).
    pub async fn members(&self, neighbourhood_id: String) -> Result<Vec<Member>, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let n = self.core();
        Ok(blocking(move || n.members(&ns)).await?.into_iter().map(Into::into).collect())
    }

    /// Leaves a neighbourhood. On the device holding the member key this publishes a signed
    /// departure (neighbours drop this member's items at their next sync and give it nothing
    /// more) and forgets everything else at once, keeping only that departure to hand on;
    /// calling `leave` again forgets it too. On a linked device it only forgets this copy.
    pub async fn leave(&self, neighbourhood_id: String) -> Result<(), PartageError> {
        self.in_neighbourhood(neighbourhood_id, |n, ns| n.leave(ns)).await
    }

    /// Like `leave`, and erases what this member published there on every peer that syncs:
    /// items and name (loans in progress keep a minimal record for the other party).
    pub async fn erase(&self, neighbourhood_id: String) -> Result<(), PartageError> {
        self.in_neighbourhood(neighbourhood_id, |n, ns| n.erase(ns)).await
    }

    /// Whether this member left the neighbourhood (its departure still kept to hand on).
    pub async fn has_left(&self, neighbourhood_id: String) -> Result<bool, PartageError> {
        self.in_neighbourhood(neighbourhood_id, |n, ns| n.has_left(ns)).await
    }

    /// Rebases this member's document onto a fresh history: removed items and earlier texts
    /// are forgotten here and, as they sync, by every neighbour. Done by itself after a removal
    /// when this is the member's only device. Needs the member key (`NotAllowed` otherwise).
    pub async fn forget_history(&self, neighbourhood_id: String) -> Result<(), PartageError> {
        self.in_neighbourhood(neighbourhood_id, |n, ns| n.forget_history(ns)).await
    }

    /// Admin only: revokes a member; their data is dropped here and refused from now on.
    pub async fn revoke(&self, neighbourhood_id: String, member_id: String) -> Result<(), PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let member = parse_member(&member_id)?;
        let n = self.core();
        blocking(move || n.revoke(&ns, &member)).await
    }

    // ---- items ----

    /// Adds an item to this member's inventory in a neighbourhood.
    pub async fn add_item(&self, neighbourhood_id: String, draft: ItemDraft) -> Result<Item, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let n = self.core();
        let draft = partage::ItemDraft::try_from(draft)?;
        blocking(move || n.add_item(&ns, draft)).await.map(Into::into)
    }

    /// Adds many items at once (a catalogue), all or none: one signed change, one transaction.
    /// If any draft is refused, nothing is added and the error lists every refused draft
    /// ("item 4: title is empty; …"). At most 10,000 per call.
    pub async fn add_items(
        &self,
        neighbourhood_id: String,
        drafts: Vec<ItemDraft>,
    ) -> Result<Vec<Item>, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let drafts = drafts
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                partage::ItemDraft::try_from(d)
                    .map_err(|e| PartageError::new(e.kind(), format!("item {}: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let n = self.core();
        Ok(blocking(move || n.add_items(&ns, drafts)).await?.into_iter().map(Into::into).collect())
    }

    /// Edits one of this member's items.
    pub async fn edit_item(&self, item_id: String, patch: ItemPatch) -> Result<Item, PartageError> {
        let id = parse_item(&item_id)?;
        let patch = partage::ItemPatch::try_from(patch)?;
        let n = self.core();
        blocking(move || n.edit_item(&id, &patch)).await.map(Into::into)
    }

    /// Pauses (`false`) or resumes (`true`) lending of one of this member's items.
    pub async fn set_available(&self, item_id: String, available: bool) -> Result<Item, PartageError> {
        let id = parse_item(&item_id)?;
        let n = self.core();
        blocking(move || n.set_available(&id, available)).await.map(Into::into)
    }

    /// Removes one of this member's items.
    pub async fn remove_item(&self, item_id: String) -> Result<(), PartageError> {
        let id = parse_item(&item_id)?;
        let n = self.core();
        blocking(move || n.remove_item(&id)).await
    }

    pub async fn item(&self, item_id: String) -> Result<Item, PartageError> {
        let id = parse_item(&item_id)?;
        let n = self.core();
        blocking(move || n.item(&id)).await.map(Into::into)
    }

    /// Items matching `filter`, sorted by title.
    pub async fn list_items(&self, filter: ItemFilter) -> Result<Vec<Item>, PartageError> {
        let filter = partage::ItemFilter::try_from(filter)?;
        let n = self.core();
        Ok(blocking(move || n.list_items(&filter)).await?.into_iter().map(Into::into).collect())
    }

    /// Accent- and case-insensitive word-prefix search, narrowed by `filter`.
    pub async fn search(&self, query: String, filter: ItemFilter) -> Result<Vec<Item>, PartageError> {
        let filter = partage::ItemFilter::try_from(filter)?;
        let n = self.core();
        Ok(blocking(move || n.search(&query, &filter)).await?.into_iter().map(Into::into).collect())
    }

    /// One page of [`Node::search`]: at most `limit` items from `offset`, and the number of
    /// matches in all (for a list that loads more as it scrolls).
    pub async fn search_page(
        &self,
        query: String,
        filter: ItemFilter,
        limit: i32,
        offset: i32,
    ) -> Result<ItemPage, PartageError> {
        let filter = partage::ItemFilter::try_from(filter)?;
        let limit: usize = non_negative(limit.into(), "limit")?;
        let offset: usize = non_negative(offset.into(), "offset")?;
        let n = self.core();
        let page = blocking(move || n.search_page(&query, &filter, limit, offset)).await?;
        Ok(ItemPage { items: page.items.into_iter().map(Into::into).collect(), total: count(page.total) })
    }

    // ---- backup ----

    /// Writes everything this device stores to a file (a backup, with the secret keys), readable
    /// by this app only (mode 0600). With a `passphrase` the file is encrypted (Argon2id +
    /// XChaCha20-Poly1305) and restoring it needs the same passphrase; without one it is
    /// readable JSON.
    #[uniffi::method(default(passphrase = None))]
    pub async fn export_to_file(
        &self,
        path: String,
        passphrase: Option<String>,
    ) -> Result<TransferSummary, PartageError> {
        let n = self.core();
        let passphrase = passphrase.map(Zeroizing::new);
        blocking(move || match passphrase {
            Some(p) => n.export_encrypted(&PathBuf::from(path), &p),
            None => n.export_to_file(&PathBuf::from(path)),
        })
        .await
        .map(Into::into)
    }

    /// Writes the user's own data (name, their items, their loans, neighbourhood names) as
    /// readable JSON, without any secret key. Not a backup: `import_from_file` refuses it.
    pub async fn export_data_only(&self, path: String) -> Result<DataOnlySummary, PartageError> {
        let n = self.core();
        blocking(move || n.export_data_only(&PathBuf::from(path))).await.map(Into::into)
    }

    /// Restores a backup into this (empty) data directory, verifying every signature. An
    /// encrypted backup without `passphrase` fails with `InvalidInput` ("this export is
    /// encrypted: give its passphrase"); a wrong passphrase with `CorruptExport` ("wrong
    /// passphrase, or the file was damaged"). Either way nothing is written.
    #[uniffi::method(default(passphrase = None))]
    pub async fn import_from_file(
        &self,
        path: String,
        passphrase: Option<String>,
    ) -> Result<TransferSummary, PartageError> {
        let n = self.core();
        let passphrase = passphrase.map(Zeroizing::new);
        blocking(move || {
            n.import_from_file_with_passphrase(
                &PathBuf::from(path),
                passphrase.as_deref().map(|p| p.as_str()),
            )
        })
        .await
        .map(Into::into)
    }

    // ---- events ----

    /// Starts delivering events to `listener` on a background thread: first one `Snapshot`,
    /// then every change in order. Delivery stops when the returned subscription is cancelled
    /// or dropped (Kotlin `close()`), or when the node is gone.
    pub fn subscribe(&self, listener: Box<dyn EventListener>) -> Result<Arc<Subscription>, PartageError> {
        Subscription::start(&self.inner, listener, &self.deliveries)
    }

    /// How many event subscriptions of this node are still delivering (each has its own thread).
    /// The Kotlin and Swift layers share one among all their observers; this shows it.
    pub fn event_subscriptions(&self) -> i32 {
        crate::time::count(self.deliveries.load(Ordering::SeqCst))
    }
}
