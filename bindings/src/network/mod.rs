//! Networking at the FFI edge: start/stop/pause/resume, sync now, peers, and the discovery
//! bridge (this device's advertisement; addresses found by Android NSD or iOS Bonjour).
//! Peers are named by their libp2p peer id (`12D3KooW...`), which is derived from the device key.

mod events;
mod records;

pub use events::NetworkEvent;
pub use records::{Advertisement, NetworkConfig, Peer, PeerSync, SyncOutcome, SyncReport};

use crate::error::PartageError;
use crate::node::Node;
use crate::runtime::runtime;
use crate::types::count;
use partage_net::{NetConfig, Network};
use records::parse_addresses;
use std::time::Duration;

/// Runs a network future on the bindings' runtime (libp2p needs tokio) and awaits it from any
/// executor.
async fn on_runtime<T, F>(future: F) -> Result<T, PartageError>
where
    F: std::future::Future<Output = Result<T, partage_net::NetError>> + Send + 'static,
    T: Send + 'static,
{
    match runtime()?.spawn(future).await {
        Ok(result) => result.map_err(PartageError::from),
        Err(e) => Err(PartageError::Internal(format!("a network task failed: {e}"))),
    }
}

impl Node {
    /// The running network, or `Stopped`.
    fn network(&self) -> Result<Network, PartageError> {
        self.net_handle().ok_or_else(|| PartageError::Stopped("the network is not started".into()))
    }
}

#[uniffi::export]
impl Node {
    /// Starts the network (the node needs an identity): listens, dials configured, remembered
    /// and ticket addresses, and syncs with every member it meets. Fails with `InvalidInput` if
    /// it is already running.
    pub async fn start_network(&self, config: NetworkConfig) -> Result<(), PartageError> {
        let config = NetConfig::try_from(config)?;
        if self.net_handle().is_some() {
            return Err(PartageError::invalid("the network is already started"));
        }
        let node = (*self.core()).clone();
        let network = on_runtime(Network::start(node, config)).await?;
        if let Some(previous) = self.set_net_handle(Some(network.clone())) {
            // Two concurrent starts: keep the newest, stop the other.
            let _ = on_runtime(async move { previous.stop().await }).await;
        }
        Ok(())
    }

    /// Stops the network: every connection ends. `start_network` may be called again.
    pub async fn stop_network(&self) -> Result<(), PartageError> {
        match self.set_net_handle(None) {
            Some(network) => on_runtime(async move { network.stop().await }).await,
            None => Ok(()),
        }
    }

    /// Disconnects every peer and stops listening, keeping state (the app went to the background).
    pub async fn pause_network(&self) -> Result<(), PartageError> {
        let network = self.network()?;
        on_runtime(async move { network.pause().await }).await
    }

    /// Listens again and redials known peers (the app came back to the foreground).
    pub async fn resume_network(&self) -> Result<(), PartageError> {
        let network = self.network()?;
        on_runtime(async move { network.resume().await }).await
    }

    pub fn is_network_running(&self) -> bool {
        self.net_handle().is_some()
    }

    pub fn is_network_paused(&self) -> bool {
        self.net_handle().is_none_or(|n| n.is_paused())
    }

    /// Dials every known peer and syncs with whoever is reachable, for at most `timeout_ms`
    /// (a short background window on a phone).
    pub async fn sync_now(&self, timeout_ms: u32) -> Result<SyncReport, PartageError> {
        let network = self.network()?;
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        on_runtime(async move { network.sync_now(timeout).await }).await.map(Into::into)
    }

    /// Known and connected peers, connected first.
    pub fn peers(&self) -> Result<Vec<Peer>, PartageError> {
        Ok(self.network()?.peers().into_iter().map(Into::into).collect())
    }

    /// What to advertise for neighbours to dial (waits up to `timeout_ms` for a listen address).
    pub async fn advertisement(&self, timeout_ms: u32) -> Result<Advertisement, PartageError> {
        let network = self.network()?;
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        let ad = on_runtime(async move { network.advertise(timeout).await }).await?;
        Ok(Advertisement {
            peer_id: ad.peer_id.to_string(),
            addresses: ad.addrs.iter().map(ToString::to_string).collect(),
        })
    }

    /// The discovery bridge: addresses the app found itself (Android NSD, iOS Bonjour, a QR
    /// code). They are dialed now and redialed while the peer is away. Returns how many were new.
    pub async fn add_peer_addresses(&self, addresses: Vec<String>) -> Result<u32, PartageError> {
        let addrs = parse_addresses(&addresses)?;
        let network = self.network()?;
        on_runtime(async move { network.add_peer_addresses(addrs).await }).await.map(count)
    }

    /// Dials one address once (not remembered).
    pub async fn dial(&self, address: String) -> Result<(), PartageError> {
        let addr = Network::parse_address(&address)?;
        let network = self.network()?;
        on_runtime(async move { network.dial(addr).await }).await
    }

    /// Stops the network and waits for it, so that the data directory can be reopened at once
    /// after this object is released. Safe to call more than once.
    pub async fn shutdown(&self) -> Result<(), PartageError> {
        self.stop_network().await
    }
}
