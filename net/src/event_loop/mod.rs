//! The one task that owns the libp2p [`Swarm`]: it reacts to swarm events, to commands from the
//! [`crate::Network`] handle and to reports from the sync sessions, in one `select!` loop. It
//! never waits on a session or on the node's store: slow work runs in other tasks.

mod commands;
mod home_nodes;
mod lifecycle;
mod probes;
mod sessions;
mod slots;
mod swarm_events;

use crate::behaviour::Behaviour;
use crate::command::Command;
use crate::config::NetConfig;
use crate::peer_set::PeerSet;
use crate::peers::{LooseAddr, MAX_BANNED, PeerEntry, PeerInfo, Snapshot};
#[cfg(feature = "mdns")]
use crate::peers::{MAX_DISCOVERED, RecentPeers};
use crate::session::Report;
use crate::transport::NetworkLabel;
use futures::StreamExt;
use libp2p::core::transport::ListenerId;
use libp2p::swarm::ConnectionId;
use libp2p::{Multiaddr, PeerId, Stream, Swarm};
use partage::Node;
use partage::events::NetEvent;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// Reports from sessions waiting for the loop.
const REPORT_QUEUE: usize = 256;
/// Streams opened by helper tasks waiting for the loop.
const OPENED_QUEUE: usize = 16;
/// Inbound sync streams waiting for the loop (each holds a connection slot already, so this is
/// bounded by the connection limits too).
const INCOMING_QUEUE: usize = 64;
/// Reach and home-hint frames waiting for the loop.
const REACH_QUEUE: usize = 8;
/// Housekeeping period (reopening sessions, lifting bans, closing unverified connections past
/// their deadline, redialing when due).
const HOUSEKEEPING: Duration = Duration::from_secs(1);
/// First redial of a remembered member after a failed or lost connection (doubling up to the
/// redial interval).
const FIRST_REDIAL: Duration = Duration::from_secs(1);
/// Dials started per redial round, at most.
const MAX_REDIALS: usize = 32;

pub(crate) use lifecycle::{prepare, supervise};

pub(crate) struct EventLoop {
    swarm: Swarm<Behaviour>,
    node: Node,
    config: NetConfig,
    local: PeerId,
    /// The network whose transport key `local` is, and when that was last checked.
    label: NetworkLabel,
    label_checked: Instant,
    /// The device is on another network now: the loop ends and a new swarm takes over.
    moved: bool,
    /// Peers verified in a session here: the relay of a home node serves only them.
    members: PeerSet,
    /// Verified home nodes: the only peers asked to dial this device back (AutoNAT).
    probe_servers: PeerSet,
    /// What they found: whether this device is reachable from outside.
    probes: crate::autonat::ProbeLog,
    /// Reservations held on home nodes, and when a refused one may be asked again.
    reservations: home_nodes::Reservations,
    /// A home node's port mapping on the router (UPnP), as last reported.
    port_mapping: Option<String>,
    commands: mpsc::Receiver<Command>,
    reports_tx: mpsc::Sender<Report>,
    reports: mpsc::Receiver<Report>,
    opened_tx: mpsc::Sender<(PeerId, Result<Stream, String>)>,
    opened: mpsc::Receiver<(PeerId, Result<Stream, String>)>,
    /// Inbound sync streams (see `new`).
    incoming: mpsc::Receiver<(PeerId, libp2p::Stream)>,
    /// Members a home node says it can reach (`crate::reach`).
    reach: mpsc::Receiver<(PeerId, Vec<PeerId>)>,
    /// Home nodes a member told this device about (`crate::home_hints`).
    hints: mpsc::Receiver<(PeerId, Vec<Multiaddr>)>,
    control: libp2p_stream::Control,
    peers: HashMap<PeerId, PeerEntry>,
    /// Addresses without a known peer id (tickets, configuration), dialed with the others.
    loose_addrs: Vec<LooseAddr>,
    pending_dials: HashSet<ConnectionId>,
    dial_errors: VecDeque<String>,
    /// Active listeners and what each was asked to listen on (with the port it got, once known:
    /// resuming listens on the same ports so that peers' remembered addresses still work).
    listeners: Vec<(ListenerId, Multiaddr)>,
    listen_addrs: Vec<Multiaddr>,
    /// Where to listen when resuming.
    resume_addrs: Vec<Multiaddr>,
    /// Peers found by mDNS and already announced (the oldest forgotten beyond a cap).
    #[cfg(feature = "mdns")]
    discovered: RecentPeers,
    /// Blocked peers and until when (at most `MAX_BANNED`).
    banned: HashMap<PeerId, Instant>,
    /// Members blocked for misbehaving, whatever device they come back with.
    member_blocks: Arc<crate::member_blocks::MemberBlocks>,
    /// Shutting down: durable writes happen at once, not in a task.
    stopping: bool,
    /// Connections whose peer has not proven membership yet.
    slots: slots::Slots,
    paused: bool,
    tasks: JoinSet<()>,
    /// Small durable writes (remembered peers) in flight: waited for at shutdown, never aborted,
    /// so a peer synced with just before stopping is still on disk afterwards.
    writes: JoinSet<()>,
    next_session: u64,
    budget: Arc<Semaphore>,
    /// Slots for whole documents the sessions' readers load ahead (`session::io`).
    prepared_ahead: Arc<Semaphore>,
    snapshot: watch::Sender<Snapshot>,
    dirty: bool,
    /// Peers verified per neighbourhood in their current session: who gets photo blobs.
    blob_access: crate::blob::BlobAccess,
    /// The photo fetcher (kept when the swarm restarts on another network).
    blobs: crate::blob::Fetcher,
}

/// What the loop starts with, loaded from the node before it runs.
pub(crate) struct Start {
    pub swarm: Swarm<Behaviour>,
    pub members: PeerSet,
    pub probe_servers: PeerSet,
    pub label: NetworkLabel,
    /// Members blocked for misbehaving (kept when the swarm restarts on a new network).
    pub member_blocks: Arc<crate::member_blocks::MemberBlocks>,
    pub node: Node,
    pub config: NetConfig,
    pub commands: mpsc::Receiver<Command>,
    pub snapshot: watch::Sender<Snapshot>,
    /// Remembered peers and their addresses.
    pub known: Vec<(PeerId, Vec<Multiaddr>)>,
    /// Addresses from tickets and the configuration.
    pub loose_addrs: Vec<Multiaddr>,
    /// Photo blobs: who may have them, and the fetcher thumbnails use.
    pub blobs: crate::blob::Fetcher,
}

impl EventLoop {
    pub(crate) fn new(s: Start) -> Result<Self, crate::NetError> {
        let Start {
            swarm,
            members,
            probe_servers,
            label,
            member_blocks,
            node,
            config,
            commands,
            snapshot,
            known,
            loose_addrs,
            blobs,
        } = s;
        let local = *swarm.local_peer_id();
        let mut control = swarm.behaviour().stream.new_control();
        let mut accepted = control
            .accept(crate::protocol())
            .map_err(|_| crate::NetError::Setup("the sync protocol is registered twice".into()))?;
        // libp2p-stream hands over inbound streams through a channel of one and drops a stream
        // that finds it full: when many peers connect at once (a home node, a meeting) and this
        // loop is busy, their sessions would never start. A task takes them at once into a queue.
        let (incoming_tx, incoming) = mpsc::channel(INCOMING_QUEUE);
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            while let Some(stream) = accepted.next().await {
                if incoming_tx.send(stream).await.is_err() {
                    return;
                }
            }
        });
        let (reports_tx, reports) = mpsc::channel(REPORT_QUEUE);
        crate::link::serve_links(&mut control, node.clone(), reports_tx.clone(), &mut tasks)?;
        let (reach_tx, reach) = mpsc::channel(REACH_QUEUE);
        crate::reach::accept(&mut control, reach_tx, &mut tasks)?;
        let (hints_tx, hints) = mpsc::channel(REACH_QUEUE);
        crate::home_hints::accept(&mut control, hints_tx, &mut tasks)?;
        let blob_access = blobs.access.clone();
        blobs.attach(control.clone());
        crate::blob::serve_blobs(&mut control, node.clone(), blob_access.clone(), &mut tasks)?;
        crate::blob::spawn_thumbnail_fetcher(blobs.clone(), &mut tasks);
        let (opened_tx, opened) = mpsc::channel(OPENED_QUEUE);
        let mut peers: HashMap<PeerId, PeerEntry> = HashMap::new();
        for (peer, addrs) in known {
            let entry = peers.entry(peer).or_default();
            entry.remembered = true;
            for a in addrs.into_iter().rev() {
                entry.add_addr(a);
            }
        }
        let loose_addrs = loose_addrs
            .into_iter()
            .take(crate::peers::MAX_LOOSE_ADDRS)
            .map(|addr| LooseAddr { addr, redial: Default::default() })
            .collect();
        let slots = slots::Slots::new(
            config.max_unverified,
            config.max_unverified_per_ip,
            config.unverified_deadline,
        );
        let budget = Arc::new(Semaphore::new(config.inbound_budget_bytes.max(config.max_message_bytes)));
        let mut this = EventLoop {
            swarm,
            node,
            local,
            label,
            label_checked: Instant::now(),
            moved: false,
            members,
            probe_servers,
            probes: Default::default(),
            reservations: Default::default(),
            port_mapping: None,
            commands,
            reports_tx,
            reports,
            opened_tx,
            opened,
            incoming,
            reach,
            hints,
            control,
            peers,
            loose_addrs,
            pending_dials: HashSet::new(),
            dial_errors: VecDeque::new(),
            listeners: Vec::new(),
            listen_addrs: Vec::new(),
            resume_addrs: Vec::new(),
            #[cfg(feature = "mdns")]
            discovered: RecentPeers::new(MAX_DISCOVERED),
            banned: HashMap::new(),
            member_blocks,
            stopping: false,
            slots,
            paused: false,
            tasks,
            writes: JoinSet::new(),
            next_session: 0,
            budget,
            prepared_ahead: Arc::new(Semaphore::new(crate::session::PREPARED_AHEAD)),
            snapshot,
            dirty: true,
            config,
            blob_access,
            blobs,
        };
        this.listen()?;
        this.dial_known(true);
        this.publish();
        Ok(this)
    }

    pub(crate) fn local_peer_id(&self) -> PeerId {
        self.local
    }

    pub(crate) async fn run(mut self) -> lifecycle::Exit {
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
        loop {
            if self.moved {
                self.shutdown();
                self.finish_writes().await;
                return lifecycle::Exit::Moved(self.into_carry());
            }
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(Command::Stop { reply }) => {
                        self.shutdown();
                        self.finish_writes().await;
                        self.finish_tasks().await;
                        // Answered once this loop (and every copy of the node it held) is gone, by
                        // `supervise`: the caller may reopen the store at once.
                        return lifecycle::Exit::Stopped(Some(reply));
                    }
                    Some(command) => self.on_command(command),
                    // Every handle is gone: nobody can use the network any more.
                    None => {
                        self.shutdown();
                        self.finish_writes().await;
                        self.finish_tasks().await;
                        return lifecycle::Exit::Stopped(None);
                    }
                },
                Some((peer, stream)) = self.incoming.recv() => self.on_incoming_stream(peer, stream),
                Some((peer, opened)) = self.opened.recv() => self.on_opened(peer, opened),
                Some((home, peers)) = self.reach.recv() => self.on_reachable(home, peers),
                Some((member, addrs)) = self.hints.recv() => self.on_home_hints(member, addrs),
                Some(report) = self.reports.recv() => self.on_report(report),
                _ = housekeeping.tick() => self.housekeeping(),
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
                Some(_) = self.writes.join_next(), if !self.writes.is_empty() => {}
            }
            if self.dirty {
                self.publish();
            }
        }
    }

    fn listen(&mut self) -> Result<(), crate::NetError> {
        for addr in self.config.listen.clone() {
            self.listen_on(addr)?;
        }
        Ok(())
    }

    fn listen_on(&mut self, addr: Multiaddr) -> Result<(), crate::NetError> {
        let id = self
            .swarm
            .listen_on(addr.clone())
            .map_err(|e| crate::NetError::Listen { addr: addr.to_string(), reason: e.to_string() })?;
        self.listeners.push((id, addr));
        Ok(())
    }

    /// Listens where it listened before pausing; a port taken meanwhile falls back to the
    /// configured address.
    fn relisten(&mut self) -> Result<(), crate::NetError> {
        let previous = std::mem::take(&mut self.resume_addrs);
        if previous.is_empty() {
            return self.listen();
        }
        for (addr, configured) in previous.into_iter().zip(self.config.listen.clone()) {
            if self.listen_on(addr).is_err() {
                self.listen_on(configured)?;
            }
        }
        Ok(())
    }

    /// Waits for the durable writes already started (each is one small redb transaction).
    async fn finish_writes(&mut self) {
        while self.writes.join_next().await.is_some() {}
    }

    /// Waits until the tasks `shutdown` aborted are gone (with the copies of the node they held).
    async fn finish_tasks(&mut self) {
        while self.tasks.join_next().await.is_some() {}
    }

    fn shutdown(&mut self) {
        // Reports already sent (a round that just finished) still count: peers synced with are
        // remembered, written here and now since the tasks are about to go.
        self.stopping = true;
        while let Ok(report) = self.reports.try_recv() {
            self.on_report(report);
        }
        self.tasks.abort_all();
        self.drop_reservations();
        for (id, _) in self.listeners.drain(..) {
            self.swarm.remove_listener(id);
        }
        let connected: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in connected {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        self.listen_addrs.clear();
        self.paused = true;
        self.publish();
    }

    fn emit(&self, event: NetEvent) {
        self.node.report_network(event);
    }

    /// How events name a peer: by its transport key, as [`crate::Network::peers`] lists it
    /// (with the device it proved to be, once it did: ADR 0016).
    fn device(&self, peer: &PeerId) -> Option<partage::DeviceId> {
        crate::identity::device_of(peer)
    }

    fn is_banned(&self, peer: &PeerId) -> bool {
        self.banned.contains_key(peer)
    }

    /// Blocks `peer` until `until`; beyond [`MAX_BANNED`], the block that ends first is lifted.
    fn block(&mut self, peer: PeerId, until: Instant) {
        self.banned.insert(peer, until);
        while self.banned.len() > MAX_BANNED {
            let Some(first) = self.banned.iter().min_by_key(|(_, u)| **u).map(|(p, _)| *p) else { break };
            self.banned.remove(&first);
            self.swarm.behaviour_mut().blocked.unblock_peer(first);
        }
        self.swarm.behaviour_mut().blocked.block_peer(peer);
    }

    fn housekeeping(&mut self) {
        let now = Instant::now();
        let lifted: Vec<PeerId> =
            self.banned.iter().filter(|(_, until)| **until <= now).map(|(p, _)| *p).collect();
        for peer in lifted {
            self.banned.remove(&peer);
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
        }
        for late in self.slots.take_expired(now) {
            crate::trace!("{} closes {} (no proof of membership in time)", self.local, late.peer);
            self.swarm.close_connection(late.conn);
        }
        if self.paused {
            return;
        }
        if now.duration_since(self.label_checked) >= self.config.network_check_interval {
            self.check_network();
        }
        self.reopen_sessions();
        self.reserve_due();
        self.dial_known(false);
    }

    pub(super) fn publish(&mut self) {
        self.dirty = false;
        let mut peers: Vec<PeerInfo> = self
            .peers
            .iter()
            .map(|(peer, e)| PeerInfo {
                peer_id: *peer,
                device: e.device,
                member: e.member,
                neighbourhoods: e.neighbourhoods.iter().copied().collect(),
                addrs: e.addrs.clone(),
                connected: e.connections > 0,
                session: e.session.is_some(),
                syncing: e.syncing,
                last_synced: e.last_synced,
                last_sync: e.last_outcome.clone(),
                remembered: e.remembered,
                relayed: e.connections > 0 && e.relayed.len() >= e.connections as usize,
                upgraded: e.upgraded,
                home_node: e.offers_relay,
            })
            .collect();
        peers.sort_by_key(|p| (!p.connected, p.peer_id));
        let snapshot = Snapshot {
            local: Some(self.local),
            listen: self.listen_addrs.clone(),
            peers,
            pending_dials: self.pending_dials.len(),
            dial_errors: self.dial_errors.iter().cloned().collect(),
            paused: self.paused,
            port_mapping: self.port_mapping.clone(),
            reachability: self.probes.reachability(),
        };
        self.snapshot.send_replace(snapshot);
    }
}
