//! Networking at the FFI edge: start/stop/pause/resume, sync now, background sync, peers, and
//! the discovery bridge (this device's advertisement; addresses found by Android NSD or iOS
//! Bonjour). Peers are named by their libp2p peer id (`12D3KooW...`): a transport key derived
//! per network from the device key (ADR 0016), so it changes when a device moves to another
//! network; `Peer.device_id` is the device it proved to be inside the session.
//!
//! Every call runs its network work in a task of the bindings' runtime that is aborted when the
//! call is cancelled (see `runtime.rs`), and counted in [`NetworkStatus::calls_in_flight`] until
//! that task is gone.

mod background;
mod events;
pub(crate) mod lifecycle;
mod records;

pub use background::BackgroundSyncReport;
pub use events::NetworkEvent;
pub use lifecycle::NetworkState;
pub use records::{
    Advertisement, ConnectionPath, NetworkConfig, NetworkStatus, Peer, PeerSync, Reachability, SyncOutcome,
    SyncReport,
};

use crate::error::PartageError;
use crate::node::Node;
use crate::time::{TimeSpan, count, signed};
use lifecycle::NetSlot;
use partage_net::{NetConfig, Network};
use records::parse_addresses;
use std::sync::Arc;

const LOG: &str = "partage_ffi::network";

/// Runs a network future on the bindings' runtime (libp2p needs tokio) and awaits it from any
/// executor. The future is counted as a call in flight, and aborted if the caller cancels.
pub(crate) async fn on_runtime<T, F>(slot: &NetSlot, future: F) -> Result<T, PartageError>
where
    F: std::future::Future<Output = Result<T, partage_net::NetError>> + Send + 'static,
    T: Send + 'static,
{
    let in_flight = slot.track();
    let task = crate::runtime::spawn(async move {
        let _in_flight = in_flight;
        future.await
    })?;
    match task.await {
        Ok(result) => result.map_err(PartageError::from),
        Err(e) => Err(PartageError::Internal(format!("a network task failed: {e}"))),
    }
}

impl Node {
    /// The running network, or `Stopped`.
    pub(crate) fn network(&self) -> Result<Network, PartageError> {
        self.net_slot().network().ok_or_else(|| PartageError::Stopped("the network is not started".into()))
    }

    pub(crate) fn slot(&self) -> Arc<NetSlot> {
        Arc::clone(self.net_slot())
    }
}

#[uniffi::export]
impl Node {
    /// Starts the network (the node needs an identity): listens, dials configured, remembered
    /// and ticket addresses, and syncs with every member it meets. Fails with `InvalidInput` if
    /// it is already running (except a network that a background sync started: the app takes it
    /// over as it is, with the background sync's configuration).
    pub async fn start_network(&self, config: NetworkConfig) -> Result<(), PartageError> {
        let config = NetConfig::try_from(config)?;
        let slot = self.slot();
        let adopt = {
            let mut s = slot.lock();
            match (&s.network, s.started_by_background) {
                (None, _) => false,
                (Some(_), false) => return Err(PartageError::invalid("the network is already started")),
                (Some(_), true) => {
                    s.started_by_background = false;
                    s.app_paused = false;
                    true
                }
            }
        };
        if adopt {
            let reconciled = Arc::clone(&slot);
            on_runtime(&slot, async move { reconciled.reconcile().await }).await?;
            tracing::info!(target: LOG, "network taken over from a background sync");
            return Ok(());
        }
        let node = (*self.core()).clone();
        let network = on_runtime(&slot, Network::start(node, config)).await?;
        tracing::info!(target: LOG, "network started");
        let previous = {
            let mut s = slot.lock();
            s.app_paused = false;
            s.started_by_background = false;
            s.network.replace(network)
        };
        if let Some(previous) = previous {
            // Two concurrent starts: keep the newest, stop the other.
            let _ = on_runtime(&slot, async move { previous.stop().await }).await;
        }
        Ok(())
    }

    /// Stops the network: every connection ends. `start_network` may be called again.
    pub async fn stop_network(&self) -> Result<(), PartageError> {
        let slot = self.slot();
        let network = {
            let mut s = slot.lock();
            s.app_paused = false;
            s.started_by_background = false;
            s.network.take()
        };
        match network {
            Some(network) => {
                on_runtime(&slot, async move { network.stop().await }).await?;
                tracing::info!(target: LOG, "network stopped");
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Disconnects every peer and stops listening, keeping state (the app went to the background).
    /// While a background sync is running, the network is paused when it ends.
    pub async fn pause_network(&self) -> Result<(), PartageError> {
        self.network()?;
        let slot = self.slot();
        slot.lock().app_paused = true;
        let reconciled = Arc::clone(&slot);
        on_runtime(&slot, async move { reconciled.reconcile().await }).await?;
        tracing::info!(target: LOG, "network paused by the app");
        Ok(())
    }

    /// Listens again and redials known peers (the app came back to the foreground).
    pub async fn resume_network(&self) -> Result<(), PartageError> {
        self.network()?;
        let slot = self.slot();
        slot.lock().app_paused = false;
        let reconciled = Arc::clone(&slot);
        on_runtime(&slot, async move { reconciled.reconcile().await }).await?;
        tracing::info!(target: LOG, "network resumed by the app");
        Ok(())
    }

    pub fn is_network_running(&self) -> bool {
        self.net_slot().network().is_some()
    }

    pub fn is_network_paused(&self) -> bool {
        self.net_slot().network().is_none_or(|n| n.is_paused())
    }

    /// What the network is doing right now (no round trip to the network task): whether it
    /// runs, peers connected and syncing, and the network calls whose work is still running.
    pub fn network_status(&self) -> NetworkStatus {
        let slot = self.net_slot();
        let (network, background_syncs) = {
            let s = slot.lock();
            (s.network.clone(), s.background_syncs)
        };
        let peers = network.as_ref().map(Network::peers).unwrap_or_default();
        NetworkStatus {
            running: network.is_some(),
            paused: network.as_ref().is_none_or(Network::is_paused),
            connected_peers: count(peers.iter().filter(|p| p.connected).count()),
            syncing_peers: count(peers.iter().filter(|p| p.syncing).count()),
            calls_in_flight: signed(slot.calls_in_flight()),
            background_syncs: signed(background_syncs),
            reachability: network.as_ref().map(Network::reachability).unwrap_or_default().into(),
        }
    }

    /// Dials every known peer and syncs with whoever is reachable, for at most `timeout`.
    /// Needs a running network that is not paused (`Paused` otherwise): in the background, use
    /// `sync_in_background`. Cancelling the call stops waiting at once.
    pub async fn sync_now(&self, timeout: TimeSpan) -> Result<SyncReport, PartageError> {
        let timeout = timeout.to_duration("timeout")?;
        let network = self.network()?;
        on_runtime(self.net_slot(), async move { network.sync_now(timeout).await }).await.map(Into::into)
    }

    /// Syncs with known and discoverable peers for at most `timeout`, whatever the app's
    /// state: what a WorkManager worker or an iOS background task calls.
    ///
    /// - Network paused (the app is in the background): it is resumed for the sync and paused
    ///   again afterwards (unless the app came to the foreground meanwhile).
    /// - Network not started: it is started with `config` (default: every interface, mDNS off)
    ///   and stopped again afterwards (unless the app started it meanwhile).
    /// - Network running: the sync runs on it as it is; `config` is not used.
    ///
    /// It dials every known peer (remembered members, ticket and configured addresses, those
    /// given to `add_peer_addresses`), runs a sync round with each that answers, and with peers
    /// that connect during the window (neighbours dialing in, mDNS if enabled), then returns a
    /// summary. Cancelling the call (or the worker/task being stopped) ends it at once and still
    /// restores the network's state.
    #[uniffi::method(default(config = None))]
    pub async fn sync_in_background(
        &self,
        timeout: TimeSpan,
        config: Option<NetworkConfig>,
    ) -> Result<BackgroundSyncReport, PartageError> {
        let config = NetConfig::try_from(config.unwrap_or_default())?;
        let timeout = timeout.to_duration("timeout")?;
        let slot = self.slot();
        let node = self.core();
        let task_slot = Arc::clone(&slot);
        on_runtime(&slot, async move { background::run(task_slot, node, config, timeout).await }).await
    }

    /// Known and connected peers, connected first.
    pub fn peers(&self) -> Result<Vec<Peer>, PartageError> {
        Ok(self.network()?.peers().into_iter().map(Into::into).collect())
    }

    /// What to advertise for neighbours to dial (waits up to `timeout` for a listen address).
    pub async fn advertisement(&self, timeout: TimeSpan) -> Result<Advertisement, PartageError> {
        let timeout = timeout.to_duration("timeout")?;
        let network = self.network()?;
        let ad = on_runtime(self.net_slot(), async move { network.advertise(timeout).await }).await?;
        Ok(Advertisement {
            peer_id: ad.peer_id.to_string(),
            addresses: ad.addrs.iter().map(ToString::to_string).collect(),
        })
    }

    /// The discovery bridge: addresses the app found itself (Android NSD, iOS Bonjour, a QR
    /// code). They are dialed now and redialed while the peer is away. Returns how many were new.
    pub async fn add_peer_addresses(&self, addresses: Vec<String>) -> Result<i32, PartageError> {
        let addrs = parse_addresses(&addresses)?;
        let network = self.network()?;
        on_runtime(self.net_slot(), async move { network.add_peer_addresses(addrs).await }).await.map(count)
    }

    /// Dials one address once (not remembered).
    pub async fn dial(&self, address: String) -> Result<(), PartageError> {
        let addr = Network::parse_address(&address)?;
        let network = self.network()?;
        on_runtime(self.net_slot(), async move { network.dial(addr).await }).await
    }

    /// Stops the network and waits for it, so that the data directory can be reopened at once
    /// after this object is released. Safe to call more than once.
    pub async fn shutdown(&self) -> Result<(), PartageError> {
        self.stop_network().await
    }
}
