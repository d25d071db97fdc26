//! `sync_in_background`: a bounded sync window that works whatever the app's state (see
//! `Node::sync_in_background` and `lifecycle.rs` for who keeps the network running).

use super::LOG;
use super::lifecycle::{NetSlot, NetworkState};
use super::records::{PeerSync, SyncOutcome};
use crate::time::{TimeSpan, count, total};
use partage::events::NetEvent;
use partage_net::{NetConfig, NetError, Network, PeerId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// `sync_now` rounds in one window at most: the first with every known peer, more only for
/// members that connected during the previous one (neighbours dialing in, mDNS).
const MAX_ROUNDS: usize = 3;

/// What one `sync_in_background` call achieved.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BackgroundSyncReport {
    /// How the network was found (and is left).
    pub network_before: NetworkState,
    /// Peers a sync round finished with during the window.
    pub peers_synced: i32,
    /// Documents (or changes to them) received and stored, sent.
    pub docs_received: i32,
    pub docs_sent: i32,
    pub bytes_received: i64,
    pub bytes_sent: i64,
    pub duration: TimeSpan,
    /// The time ran out before every peer's round finished.
    pub timed_out: bool,
    /// Each peer a round was asked of, with its last outcome (`null`/`nil`: not finished in time).
    pub peers: Vec<PeerSync>,
    /// Dials that failed (most recent last).
    pub dial_errors: Vec<String>,
}

pub(super) async fn run(
    slot: Arc<NetSlot>,
    node: Arc<partage::Node>,
    config: NetConfig,
    timeout: Duration,
) -> Result<BackgroundSyncReport, NetError> {
    let started = Instant::now();
    let deadline = started + timeout;
    // Subscribed first: everything the window moves is counted, whoever started it.
    let mut events = node.subscribe();
    let hold = slot.begin_background();
    let before = hold.before;
    tracing::info!(target: LOG, "background sync: begins (network {before:?}, at most {} ms)", timeout.as_millis());

    let work = rounds(&slot, &node, config, deadline);
    tokio::pin!(work);
    let mut tally = Tally::default();
    let mut open = true;
    let result = loop {
        tokio::select! {
            result = &mut work => break result,
            event = events.recv(), if open => match event {
                Some(event) => tally.note(event),
                None => open = false,
            },
        }
    };
    while let Some(event) = events.try_recv() {
        tally.note(event);
    }
    // Paused or stopped again as it was found (unless the app wants otherwise by now). Only a
    // network that is gone can fail to pause or stop: nothing to undo then.
    if let Err(e) = hold.finish().await {
        tracing::warn!(target: LOG, "background sync: could not restore the network: {e}");
    }
    let rounds = result?;
    let report = tally.report(before, rounds, started.elapsed());
    tracing::info!(
        target: LOG,
        "background sync: {} peers synced, {} documents received, {} sent in {} ms{}",
        report.peers_synced,
        report.docs_received,
        report.docs_sent,
        report.duration.0,
        if report.timed_out { " (timed out)" } else { "" }
    );
    Ok(report)
}

/// What the `sync_now` rounds reported.
#[derive(Default)]
struct Rounds {
    /// Last outcome per peer, in the order peers were first seen.
    peers: Vec<(PeerId, Option<partage_net::SyncOutcome>)>,
    dial_errors: Vec<String>,
    /// Members connected at the end that no round reached (no time left).
    left_out: bool,
}

async fn rounds(
    slot: &NetSlot,
    node: &partage::Node,
    config: NetConfig,
    deadline: Instant,
) -> Result<Rounds, NetError> {
    let network = ensure_network(slot, node, config).await?;
    // A background sync is counted in the slot: this resumes a paused network.
    slot.reconcile().await?;
    let mut rounds = Rounds::default();
    let mut index: HashMap<PeerId, usize> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let report = network.sync_now(deadline - now).await?;
        rounds.dial_errors = report.dial_errors;
        for p in report.peers {
            match index.get(&p.peer_id).and_then(|&i| rounds.peers.get_mut(i)) {
                Some(entry) => entry.1 = p.outcome.or(entry.1.take()),
                None => {
                    index.insert(p.peer_id, rounds.peers.len());
                    rounds.peers.push((p.peer_id, p.outcome));
                }
            }
        }
        if !newcomers(&network, &index) {
            break;
        }
    }
    rounds.left_out = newcomers(&network, &index);
    Ok(rounds)
}

/// Whether members are connected that no round reached yet.
fn newcomers(network: &Network, reached: &HashMap<PeerId, usize>) -> bool {
    network.peers().iter().any(|p| p.connected && p.member.is_some() && !reached.contains_key(&p.peer_id))
}

/// The running network, or one started for this window.
async fn ensure_network(
    slot: &NetSlot,
    node: &partage::Node,
    config: NetConfig,
) -> Result<Network, NetError> {
    if let Some(network) = slot.network() {
        return Ok(network);
    }
    let network = Network::start(node.clone(), config).await?;
    match slot.install_background(network) {
        (network, None) => {
            tracing::info!(target: LOG, "background sync: network started for the window");
            Ok(network)
        }
        // The app (or another background sync) started one meanwhile: use that one.
        (existing, Some(ours)) => {
            ours.stop().await?;
            Ok(existing)
        }
    }
}

/// Counts what the window moved from the node's event stream (every peer, including those that
/// were not part of a requested round).
#[derive(Default)]
struct Tally {
    finished: HashSet<PeerId>,
    docs_received: u64,
    docs_sent: u64,
    bytes_received: u64,
    bytes_sent: u64,
}

impl Tally {
    fn note(&mut self, event: partage::Event) {
        match event {
            partage::Event::Network(NetEvent::SyncFinished(stats)) => {
                if let Some(peer) = partage_net::peer_id_of(&stats.peer) {
                    self.finished.insert(peer);
                }
            }
            partage::Event::Network(NetEvent::DocReceived { bytes, .. }) => {
                self.docs_received += 1;
                self.bytes_received = self.bytes_received.saturating_add(bytes);
            }
            partage::Event::Network(NetEvent::DocSent { bytes, .. }) => {
                self.docs_sent += 1;
                self.bytes_sent = self.bytes_sent.saturating_add(bytes);
            }
            _ => {}
        }
    }

    fn report(mut self, before: NetworkState, rounds: Rounds, elapsed: Duration) -> BackgroundSyncReport {
        // The rounds' own counts are a floor (the tally may have fallen behind the event buffer).
        let mut from_rounds = (0u64, 0u64, 0u64, 0u64);
        for (peer, outcome) in &rounds.peers {
            if let Some(o) = outcome {
                self.finished.insert(*peer);
                from_rounds.0 += o.docs_received as u64;
                from_rounds.1 += o.docs_sent as u64;
                from_rounds.2 = from_rounds.2.saturating_add(o.bytes_received);
                from_rounds.3 = from_rounds.3.saturating_add(o.bytes_sent);
            }
        }
        let timed_out = rounds.left_out || rounds.peers.iter().any(|(_, o)| o.is_none());
        BackgroundSyncReport {
            network_before: before,
            peers_synced: count(self.finished.len()),
            docs_received: i32::try_from(self.docs_received.max(from_rounds.0)).unwrap_or(i32::MAX),
            docs_sent: i32::try_from(self.docs_sent.max(from_rounds.1)).unwrap_or(i32::MAX),
            bytes_received: total(self.bytes_received.max(from_rounds.2)),
            bytes_sent: total(self.bytes_sent.max(from_rounds.3)),
            duration: elapsed.into(),
            timed_out,
            peers: rounds
                .peers
                .into_iter()
                .map(|(peer, outcome)| PeerSync {
                    peer_id: peer.to_string(),
                    outcome: outcome.map(SyncOutcome::from),
                })
                .collect(),
            dial_errors: rounds.dial_errors,
        }
    }
}
