//! One sync session per connected peer: a task that owns the `/partage/sync/1` stream.
//!
//! Per shared neighbourhood: `Hello` (tags and digests; equal digests end it there) → `Proof`
//! both ways (membership chain + device certificate bound to the Noise-authenticated peer id)
//! → `Summary` (hash of heads per member document) → `Want` for each differing document →
//! `Bundle` (verified by `Node::import_bundle` before anything is stored) or `NoChange` →
//! `Status` (digest once my wants are answered). Afterwards local changes are pushed at once
//! as `Bundle`s, acknowledged by `Status`.
//!
//! The session never blocks on writing while the peer may be waiting for it to read: outgoing
//! messages wait in `outbox` (bounded) and bundles are built only when the writer has room.

#[cfg(test)]
mod adversarial;
mod handlers;
mod io;
mod limits;
mod live;
mod outgoing;
mod state;

pub use io::CHUNK_DEADLINE;
pub use state::SyncOutcome;

use crate::digest::{self, SessionKey};
use crate::wire::{HelloEntry, Msg, WireError};
use futures::AsyncReadExt;
use libp2p::PeerId;
use partage::events::{NetEvent, SyncStats};
use partage::{DeviceId, DocSummary, MemberId, NeighbourhoodId, Node};
use state::{Counters, NsState, Round};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Messages and bundles waiting to be written, at most (a peer asking for more misbehaves).
const MAX_OUTBOX: usize = 2 * crate::wire::MAX_DOCS + 256;
/// Frames handed to the writer task ahead of the socket.
const WRITE_QUEUE: usize = 2;
/// Decoded frames waiting for the session.
const READ_QUEUE: usize = 2;
/// A peer that does not answer a `Hello` within this time is let go.
const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Commands waiting for the session.
pub(crate) const COMMAND_QUEUE: usize = 8;

/// Everything a session needs from the event loop.
pub(crate) struct SessionParams {
    pub node: Node,
    pub local: PeerId,
    pub peer: PeerId,
    pub device: DeviceId,
    pub id: u64,
    pub max_frame: usize,
    /// See `NetConfig::round_idle_timeout`.
    pub round_idle: std::time::Duration,
    pub budget: Arc<Semaphore>,
    pub reports: mpsc::Sender<Report>,
}

/// Requests from the event loop.
pub(crate) enum SessionCmd {
    /// Run a sync round now and say how it went.
    Sync(oneshot::Sender<SyncOutcome>),
}

/// What a session tells the event loop.
pub(crate) enum Report {
    Verified { peer: PeerId, session: u64, member: MemberId, neighbourhood: NeighbourhoodId },
    Syncing { peer: PeerId, session: u64 },
    Synced { peer: PeerId, session: u64, outcome: SyncOutcome },
    Ended { peer: PeerId, session: u64, end: End },
}

/// Why a session ended.
#[derive(Clone, Debug)]
pub(crate) enum End {
    /// The stream closed or the event loop let the session go.
    Closed,
    /// The peer sent garbage, oversized or forged data.
    Misbehaved(String),
    /// A local problem (storage).
    Failed(String),
}

/// One queued outgoing item.
pub(crate) enum Out {
    Msg(Msg),
    /// Answer a `Want`: `owner`'s document beyond `have`.
    Answer {
        ns: NeighbourhoodId,
        owner: MemberId,
        have: Vec<[u8; 32]>,
    },
    /// Push local changes of `owner`'s document beyond what the peer is known to have.
    Push {
        ns: NeighbourhoodId,
        owner: MemberId,
    },
}

pub(crate) struct Session {
    p: SessionParams,
    /// Proofs judged so far and whether one held: lifts the pre-proof frame limit of the
    /// reader (see `io`).
    proofs: tokio::sync::watch::Sender<io::Proofs>,
    key: SessionKey,
    /// My neighbourhoods by their tag in this session.
    tags: HashMap<[u8; 32], NeighbourhoodId>,
    /// Neighbourhoods both sides are in (tags matched).
    shared: BTreeMap<NeighbourhoodId, NsState>,
    /// My summaries and digest per neighbourhood, dropped whenever something may have changed.
    mine: HashMap<NeighbourhoodId, (Vec<DocSummary>, [u8; 32])>,
    outbox: VecDeque<Out>,
    totals: Counters,
    round: Option<Round>,
    /// `Hello`s from the peer I am waiting for (its first one, and answers to my requests).
    hellos_expected: u32,
    /// When the oldest expected `Hello` was asked for.
    hello_asked: Instant,
    /// Rounds the peer asked for, and whole documents it asked for, in the current window.
    hello_requests: limits::Window,
    full_wants: limits::Window,
    /// When the peer last sent a whole message.
    last_heard: Instant,
}

/// Runs a session on `stream` (a libp2p stream, or any byte stream in tests) until it ends, then
/// reports how.
pub(crate) async fn run<S>(p: SessionParams, stream: S, commands: mpsc::Receiver<SessionCmd>)
where
    S: futures::AsyncRead + futures::AsyncWrite + Send + 'static,
{
    let reports = p.reports.clone();
    let (peer, id) = (p.peer, p.id);
    let (read_half, write_half) = stream.split();
    let (in_tx, in_rx) = mpsc::channel(READ_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(WRITE_QUEUE);
    let (proofs, proofs_rx) = tokio::sync::watch::channel(io::Proofs::default());
    let reader = tokio::spawn(io::read_loop(read_half, p.max_frame, p.budget.clone(), proofs_rx, in_tx));
    let writer = tokio::spawn(io::write_loop(write_half, out_rx));
    let mut session = Session::new(p, proofs);
    let end = session.run_loop(in_rx, out_tx, commands).await;
    session.finish_round(false, false);
    reader.abort();
    // The writer ends by itself once the last frames are written (its channel is closed).
    drop(writer);
    let _ = reports.send(Report::Ended { peer, session: id, end }).await;
}

impl Session {
    fn new(p: SessionParams, proofs: tokio::sync::watch::Sender<io::Proofs>) -> Self {
        let key = SessionKey::new(&p.local, &p.peer);
        Session {
            p,
            proofs,
            key,
            tags: HashMap::new(),
            shared: BTreeMap::new(),
            mine: HashMap::new(),
            outbox: VecDeque::new(),
            totals: Counters::default(),
            round: None,
            hellos_expected: 0,
            hello_asked: Instant::now(),
            hello_requests: limits::Window::new(),
            full_wants: limits::Window::new(),
            last_heard: Instant::now(),
        }
    }

    async fn run_loop(
        &mut self,
        mut inbound: mpsc::Receiver<Result<io::Inbound, WireError>>,
        writer: mpsc::Sender<Vec<u8>>,
        mut commands: mpsc::Receiver<SessionCmd>,
    ) -> End {
        let mut events = self.p.node.subscribe();
        let mut tick = tokio::time::interval(
            (HELLO_TIMEOUT / 4).min(self.p.round_idle / 2).max(std::time::Duration::from_millis(100)),
        );
        if let Err(end) = self.start().await {
            return end;
        }
        loop {
            let step = tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    Some(SessionCmd::Sync(reply)) => self.request_round(reply).await,
                    None => Err(End::Closed),
                },
                // Writing comes before reading: a peer that floods cannot starve its own answers
                // (and one that stops reading them fills the outbox and is let go).
                permit = writer.reserve(), if !self.outbox.is_empty() => match permit {
                    Ok(permit) => self.send_next(permit).await,
                    Err(_) => Err(End::Closed),
                },
                item = inbound.recv() => match item {
                    Some(Ok(inbound)) => {
                        self.last_heard = Instant::now();
                        self.totals.bytes_in += inbound.size as u64;
                        self.totals.messages_in += 1;
                        match self.admit(&inbound.body) {
                            Ok(Some(msg)) => {
                                crate::trace!("{} <- {} {:?}", self.p.local, self.p.peer, short(&msg));
                                // The decoded message keeps the frame's share of the budget.
                                let _permit = inbound.permit;
                                self.handle(msg, inbound.size).await
                            }
                            Ok(None) => Ok(()),
                            Err(e) => Err(End::Misbehaved(e.to_string())),
                        }
                    }
                    Some(Err(e)) if e.is_misbehaviour() => Err(End::Misbehaved(e.to_string())),
                    Some(Err(_)) | None => Err(End::Closed),
                },
                event = events.recv() => match event {
                    Some(event) => self.on_events(event, &mut events).await,
                    None => Err(End::Closed),
                },
                _ = tick.tick() => {
                    if self.hellos_expected > 0 && self.hello_asked.elapsed() > HELLO_TIMEOUT {
                        Err(End::Failed("the peer did not answer in time".into()))
                    } else if self.round.is_some() && self.last_heard.elapsed() > self.p.round_idle {
                        Err(End::Failed("the peer stopped answering in the middle of a sync".into()))
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(end) = step {
                crate::trace!("{} x {} session ends: {end:?}", self.p.local, self.p.peer);
                return end;
            }
            if self.outbox.len() > MAX_OUTBOX {
                return End::Misbehaved("asked for more than the protocol allows at once".into());
            }
            if let Err(end) = self.check_round().await {
                return end;
            }
        }
    }

    /// Checks a frame's message kind against the session's state, then decodes it. Before the
    /// peer has proven membership of any neighbourhood, only `Hello`, `Proof` and `Denied` are
    /// decoded; anything else is misbehaviour, or ignored undecoded if I refused its proof
    /// (such a message may have crossed my refusal).
    fn admit(&self, body: &[u8]) -> Result<Option<Msg>, WireError> {
        if !self.shared.values().any(|st| st.verified())
            && let Err(e) = crate::wire::check_pre_auth_kind(body)
        {
            return if self.shared.values().any(|st| st.denied) { Ok(None) } else { Err(e) };
        }
        crate::wire::decode(body).map(Some)
    }

    /// First step on both sides: learn my neighbourhoods, send `Hello`.
    async fn start(&mut self) -> Result<(), End> {
        self.refresh_tags().await?;
        self.begin_round();
        self.hellos_expected = 1;
        self.hello_asked = Instant::now();
        self.queue_hello(false).await
    }

    async fn refresh_tags(&mut self) -> Result<(), End> {
        let ids = self.call(|n| n.neighbourhood_ids()).await?;
        self.tags = ids.iter().map(|ns| (digest::tag(&self.key, ns), *ns)).collect();
        self.shared.retain(|ns, _| ids.contains(ns));
        self.mine.retain(|ns, _| ids.contains(ns));
        Ok(())
    }

    async fn queue_hello(&mut self, reply: bool) -> Result<(), End> {
        let mut entries = Vec::with_capacity(self.tags.len());
        let tags: Vec<([u8; 32], NeighbourhoodId)> = self.tags.iter().map(|(t, n)| (*t, *n)).collect();
        for (tag, ns) in tags.into_iter().take(crate::wire::MAX_NEIGHBOURHOODS) {
            let Some(digest) = self.my_digest(&ns).await? else { continue };
            entries.push(HelloEntry { tag, digest });
        }
        if reply {
            if self.hellos_expected == 0 {
                self.hello_asked = Instant::now();
            }
            self.hellos_expected += 1;
        }
        self.outbox.push_back(Out::Msg(Msg::Hello { reply, entries }));
        Ok(())
    }

    /// My digest of `ns` (cached); `None` if I left it meanwhile.
    async fn my_digest(&mut self, ns: &NeighbourhoodId) -> Result<Option<[u8; 32]>, End> {
        Ok(self.my_summaries(ns).await?.map(|(_, d)| d))
    }

    async fn my_summaries(
        &mut self,
        ns: &NeighbourhoodId,
    ) -> Result<Option<(Vec<DocSummary>, [u8; 32])>, End> {
        if let Some(hit) = self.mine.get(ns) {
            return Ok(Some(hit.clone()));
        }
        let id = *ns;
        let summaries = match self.call(move |n| n.sync_summaries(&id)).await {
            Ok(s) => s,
            Err(End::Failed(_)) if !self.tags.values().any(|n| n == ns) => return Ok(None),
            Err(e) => return Err(e),
        };
        let d = digest::digest(&self.key, ns, &summaries);
        self.mine.insert(*ns, (summaries.clone(), d));
        Ok(Some((summaries, d)))
    }

    /// Runs a node call on a blocking thread (they take the node's lock and may do I/O).
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Node) -> partage::Result<T> + Send + 'static,
    ) -> Result<T, End> {
        self.try_call(f).await?.map_err(|e| End::Failed(e.to_string()))
    }

    /// Like [`Session::call`], leaving the node's error to the caller.
    async fn try_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Node) -> partage::Result<T> + Send + 'static,
    ) -> Result<partage::Result<T>, End> {
        let node = self.p.node.clone();
        tokio::task::spawn_blocking(move || f(&node))
            .await
            .map_err(|e| End::Failed(format!("a background task failed: {e}")))
    }

    fn report(&self, event: NetEvent) {
        self.p.node.report_network(event);
    }

    fn send_report(&self, report: Report) {
        // The event loop drains reports continuously; if it is gone the session ends soon.
        let _ = self.p.reports.try_send(report);
    }

    fn begin_round(&mut self) {
        if self.round.is_none() {
            self.round = Some(Round { started: Instant::now(), base: self.totals, waiters: Vec::new() });
            self.send_report(Report::Syncing { peer: self.p.peer, session: self.p.id });
            self.report(NetEvent::SyncStarted { peer: self.p.device });
        }
    }

    async fn request_round(&mut self, reply: oneshot::Sender<SyncOutcome>) -> Result<(), End> {
        self.begin_round();
        if let Some(round) = &mut self.round {
            if round.waiters.len() >= state::MAX_WAITERS {
                let _ = reply.send(SyncOutcome {
                    converged: false,
                    docs_received: 0,
                    docs_sent: 0,
                    bytes_received: 0,
                    bytes_sent: 0,
                    messages_received: 0,
                    messages_sent: 0,
                    duration: round.started.elapsed(),
                });
                return Ok(());
            }
            round.waiters.push(reply);
        }
        self.refresh_tags().await?;
        self.mine.clear();
        self.queue_hello(true).await
    }

    /// Ends the round once nothing is outstanding and every shared neighbourhood either
    /// matches the peer's digest or cannot get closer in this session.
    async fn check_round(&mut self) -> Result<(), End> {
        if self.round.is_none() || self.hellos_expected > 0 || !self.outbox.is_empty() {
            return Ok(());
        }
        let mut converged = true;
        let nss: Vec<NeighbourhoodId> = self.shared.keys().copied().collect();
        for ns in nss {
            let Some(st) = self.shared.get(&ns) else { continue };
            if st.closed() {
                continue;
            }
            if !st.wants.is_empty() || st.in_flight > 0 || st.exchange_wanted {
                return Ok(());
            }
            let (peer_digest, last, status) = (st.peer_digest, st.last_summary, st.status_since_summary);
            let Some(peer_digest) = peer_digest else { return Ok(()) };
            let Some(mine) = self.my_digest(&ns).await? else { continue };
            if mine != peer_digest {
                if last == Some((mine, peer_digest)) {
                    if status {
                        // Exchanged for exactly this state and still different: nothing more
                        // can move in this session (refused or revoked data).
                        converged = false;
                        continue;
                    }
                    return Ok(());
                }
                // Something changed since the last exchange: exchange again.
                if let Some(st) = self.shared.get_mut(&ns) {
                    st.exchange_wanted = true;
                }
                return self.advance(ns).await;
            }
        }
        self.finish_round(converged, true);
        self.catch_up().await
    }

    /// Closes the round and tells its waiters; `announce` publishes it (not when the session
    /// is ending anyway).
    fn finish_round(&mut self, converged: bool, announce: bool) {
        let Some(round) = self.round.take() else { return };
        crate::trace!("{} -- {} round finished, converged={converged}", self.p.local, self.p.peer);
        let moved = self.totals.since(&round.base);
        let outcome = SyncOutcome {
            converged,
            docs_received: moved.docs_in,
            docs_sent: moved.docs_out,
            bytes_received: moved.bytes_in,
            bytes_sent: moved.bytes_out,
            messages_received: moved.messages_in,
            messages_sent: moved.messages_out,
            duration: round.started.elapsed(),
        };
        for w in round.waiters {
            let _ = w.send(outcome.clone());
        }
        if !announce {
            return;
        }
        self.report(NetEvent::SyncFinished(SyncStats {
            peer: self.p.device,
            docs_received: outcome.docs_received,
            docs_sent: outcome.docs_sent,
            bytes_received: outcome.bytes_received,
            bytes_sent: outcome.bytes_sent,
            duration: outcome.duration,
        }));
        self.send_report(Report::Synced { peer: self.p.peer, session: self.p.id, outcome });
    }
}

/// A message without its payload, for traces.
fn short(m: &Msg) -> String {
    match m {
        Msg::Bundle { answer, bundle } => format!("bundle(answer={answer}, owner={})", bundle.owner.short()),
        Msg::Want { owner, heads, .. } => format!("want({}, {} heads)", owner.short(), heads.len()),
        Msg::NoChange { owner, .. } => format!("no-change({})", owner.short()),
        Msg::Ahead { owner, heads, .. } => format!("ahead({}, {} heads)", owner.short(), heads.len()),
        Msg::Status { digest, ack, .. } => format!("status({}, ack={ack})", hex::encode(&digest[..3])),
        Msg::Hello { reply, entries } => format!(
            "hello(reply={reply}, {:?})",
            entries.iter().map(|e| hex::encode(&e.digest[..3])).collect::<Vec<_>>()
        ),
        other => other.name().to_string(),
    }
}
