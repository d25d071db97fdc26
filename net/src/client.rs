//! [`Network`]: the cloneable handle the app (or the CLI, or the FFI layer) holds. Every method
//! sends a command to the event loop over a bounded channel and awaits its oneshot reply, or
//! reads the snapshot the loop publishes.

use crate::command::{COMMAND_QUEUE, Command};
use crate::config::NetConfig;
use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::peers::{PeerInfo, Snapshot, with_peer};
use crate::session::SyncOutcome;
use libp2p::{Multiaddr, PeerId};
use partage::Node;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// Longest wait for sessions to come up on fresh connections during [`Network::sync_now`].
const SESSION_WAIT: Duration = Duration::from_secs(5);

/// A running network node. Cheap to clone; the network stops when [`Network::stop`] is called
/// or the last clone is dropped.
#[derive(Clone)]
pub struct Network {
    commands: mpsc::Sender<Command>,
    snapshot: watch::Receiver<Snapshot>,
    local: PeerId,
    node: Node,
    /// Photo blobs from members (`crate::blob`).
    pub(crate) blobs: std::sync::Arc<crate::blob::Fetcher>,
}

/// What to advertise so that neighbours can dial this device (e.g. in an invite ticket, or
/// through Android NSD / iOS Bonjour).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advertisement {
    /// This device's peer id on the network it is on now.
    pub peer_id: PeerId,
    /// Listen addresses, each ending in `/p2p/<peer id>`.
    pub addrs: Vec<Multiaddr>,
}

/// What [`Network::sync_now`] achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    /// One entry per peer a session ran with; `outcome` is `None` if its round did not finish
    /// in time.
    pub peers: Vec<PeerSync>,
    /// Dials that failed (most recent last).
    pub dial_errors: Vec<String>,
    /// How long the call took.
    pub elapsed: Duration,
}

/// One peer's part of a [`SyncReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSync {
    /// The peer.
    pub peer_id: PeerId,
    /// What its round achieved; `None` if it did not finish in time.
    pub outcome: Option<SyncOutcome>,
}

impl SyncReport {
    /// Every peer's round finished and converged.
    pub fn complete(&self) -> bool {
        self.peers.iter().all(|p| p.outcome.as_ref().is_some_and(|o| o.converged))
    }
}

impl Network {
    /// Starts the network for `node` (which must have an identity): listens, dials the
    /// configured, remembered and ticket addresses, and syncs with every member it meets.
    /// Must be called inside a tokio runtime.
    ///
    /// Two devices on 127.0.0.1: a neighbour who shares a ticket carrying its address, and a
    /// device that joins with it and syncs (a phone would use [`NetConfig::lan`] or the
    /// default):
    ///
    /// ```
    /// use partage::{ItemDraft, ItemFilter, Node};
    /// use partage_net::{NetConfig, Network};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let alice = Node::open(dir.path().join("alice"))?;
    /// alice.init("Alice")?;
    /// let street = alice.create_neighbourhood("Rue des Lilas")?;
    /// alice.add_item(&street.id, ItemDraft { title: "Perceuse".into(), ..Default::default() })?;
    /// let alice_net = Network::start(alice.clone(), NetConfig::loopback()).await?;
    /// let reachable = alice_net.advertise(Duration::from_secs(5)).await?;
    /// let addrs = reachable.addrs.iter().map(ToString::to_string).collect();
    /// let ticket = alice.invite(&street.id, 7, 1, addrs)?; // 7 days, 1 person
    ///
    /// let bob = Node::open(dir.path().join("bob"))?;
    /// bob.init("Bob")?;
    /// bob.join(&ticket)?;
    /// // Ticket addresses are dialed at start (`NetConfig::dial_remembered`).
    /// let bob_net = Network::start(bob.clone(), NetConfig::loopback()).await?;
    /// let report = bob_net.sync_now(Duration::from_secs(30)).await?;
    /// assert_eq!(report.peers.len(), 1);
    /// assert_eq!(bob.list_items(&ItemFilter::default())?[0].item.title, "Perceuse");
    ///
    /// bob_net.stop().await?;
    /// alice_net.stop().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(node: Node, config: NetConfig) -> Result<Network, NetError> {
        let (commands, rx) = mpsc::channel(COMMAND_QUEUE);
        let (snapshot_tx, snapshot) = watch::channel(Snapshot::default());
        let blobs = crate::blob::Fetcher::new(crate::blob::BlobAccess::default(), node.clone());
        let start = crate::event_loop::prepare(
            node.clone(),
            config,
            rx,
            snapshot_tx,
            Default::default(),
            blobs.clone(),
        )
        .await?;
        let event_loop = EventLoop::new(start)?;
        let local = event_loop.local_peer_id();
        tokio::spawn(crate::event_loop::supervise(event_loop));
        Ok(Network { commands, snapshot, local, node, blobs: std::sync::Arc::new(blobs) })
    }

    /// This device's peer id on the network it is on now: a transport key derived for that
    /// network (ADR 0016), which changes when the device moves to another one.
    pub fn peer_id(&self) -> PeerId {
        self.snapshot.borrow().local.unwrap_or(self.local)
    }

    /// The addresses this node listens on now, without its peer id (a reservation on a home
    /// node adds one ending in `/p2p-circuit`).
    pub fn listen_addresses(&self) -> Vec<Multiaddr> {
        self.snapshot.borrow().listen.clone()
    }

    /// The addresses this node listens on, waiting up to `timeout` for the first one.
    pub async fn advertise(&self, timeout: Duration) -> Result<Advertisement, NetError> {
        let mut rx = self.snapshot.clone();
        let deadline = Instant::now() + timeout;
        loop {
            let listen = rx.borrow_and_update().listen.clone();
            if !listen.is_empty() || Instant::now() >= deadline {
                let local = self.peer_id();
                let addrs = listen.iter().map(|a| with_peer(a, &local)).collect();
                return Ok(Advertisement { peer_id: local, addrs });
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(NetError::Stopped),
                Err(_) => {}
            }
        }
    }

    /// Shows a device link code (see [`Node::offer_link`]) carrying the addresses this device
    /// listens on: a new device that scans it within ten minutes links to this identity over
    /// this network ([`crate::link_device`]). [`partage::events::NetEvent::DeviceLinked`] says
    /// when it did.
    pub async fn offer_link(&self, full_transfer: bool) -> Result<String, NetError> {
        let addrs =
            self.advertise(Duration::from_secs(2)).await?.addrs.iter().map(ToString::to_string).collect();
        let node = self.node.clone();
        tokio::task::spawn_blocking(move || node.offer_link(full_transfer, addrs))
            .await
            .map_err(|e| NetError::Setup(e.to_string()))?
            .map_err(NetError::from)
    }

    /// Dials `addr` (a multiaddr, ideally ending in `/p2p/<peer id>`).
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.request(|reply| Command::Dial { addrs: vec![addr], remember: false, reply }).await?.map(|_| ())
    }

    /// The discovery bridge: addresses the app found by other means (Android NSD, iOS Bonjour,
    /// a QR code). They are dialed now and redialed while the peer is away.
    pub async fn add_peer_addresses(&self, addrs: Vec<Multiaddr>) -> Result<usize, NetError> {
        self.request(|reply| Command::Dial { addrs, remember: true, reply }).await?
    }

    /// Parses a user-supplied address.
    pub fn parse_address(s: &str) -> Result<Multiaddr, NetError> {
        s.trim().parse().map_err(|_| NetError::BadAddress(s.chars().take(200).collect()))
    }

    /// Known and connected peers, connected first.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.snapshot.borrow().peers.clone()
    }

    /// A home node's port mapping on its router (UPnP, with the `upnp` feature and
    /// `NetConfig::upnp`), as last reported: the public address mapped, or why there is none.
    pub fn port_mapping(&self) -> Option<String> {
        self.snapshot.borrow().port_mapping.clone()
    }

    /// Whether this device can be dialed from outside, as the verified home nodes it is connected
    /// to found by dialing it back (AutoNAT v2). `Unknown` until one has tested an address.
    pub fn reachability(&self) -> crate::Reachability {
        self.snapshot.borrow().reachability.clone()
    }

    /// Whether the network is paused (or stopped).
    pub fn is_paused(&self) -> bool {
        self.snapshot.borrow().paused
    }

    /// Dials every known peer and syncs with whoever is reachable, for at most `timeout`
    /// (for short background windows on phones). Returns what each peer's round moved.
    pub async fn sync_now(&self, timeout: Duration) -> Result<SyncReport, NetError> {
        let started = Instant::now();
        let deadline = started + timeout;
        if self.is_paused() {
            return Err(NetError::Paused);
        }
        self.request(|reply| Command::DialKnown { reply }).await?;
        self.wait_for_sessions(deadline).await;
        let waits = self.request(|reply| Command::Sync { reply }).await?;
        let mut peers = Vec::with_capacity(waits.len());
        for (peer_id, rx) in waits {
            let outcome = tokio::time::timeout_at(deadline, rx).await.ok().and_then(Result::ok);
            peers.push(PeerSync { peer_id, outcome });
        }
        let dial_errors = self.snapshot.borrow().dial_errors.clone();
        Ok(SyncReport { peers, dial_errors, elapsed: started.elapsed() })
    }

    /// Waits until dials have resolved and connected peers have sessions (bounded).
    async fn wait_for_sessions(&self, deadline: Instant) {
        let mut rx = self.snapshot.clone();
        let mut sessions_deadline: Option<Instant> = None;
        loop {
            let (dialing, waiting) = {
                let s = rx.borrow_and_update();
                (s.pending_dials > 0, s.peers.iter().any(|p| p.connected && !p.session))
            };
            if !dialing && !waiting {
                return;
            }
            let now = Instant::now();
            let limit = if dialing { deadline } else { *sessions_deadline.get_or_insert(now + SESSION_WAIT) };
            let limit = limit.min(deadline);
            if now >= limit {
                return;
            }
            match tokio::time::timeout_at(limit, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return,
            }
        }
    }

    /// Disconnects every peer and stops listening, keeping state (the app went to the
    /// background). Nothing is dialed or accepted until [`Network::resume`].
    pub async fn pause(&self) -> Result<(), NetError> {
        self.request(|reply| Command::Pause { reply }).await
    }

    /// Listens again and redials known peers.
    pub async fn resume(&self) -> Result<(), NetError> {
        self.request(|reply| Command::Resume { reply }).await?
    }

    /// Stops the network: every connection and session ends. Further calls fail with
    /// [`NetError::Stopped`].
    pub async fn stop(&self) -> Result<(), NetError> {
        match self.request(|reply| Command::Stop { reply }).await {
            Ok(()) | Err(NetError::Stopped) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn request<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)
    }
}
