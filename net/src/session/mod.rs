//! One sync session per connected peer: a task that owns the `/partage/sync/3` stream.
//!
//! Per shared neighbourhood: `Hello` (tags and digests; equal digests end it there) → `Proof`
//! both ways (membership chain + device certificate + the device's signature over this
//! session's binding: the peer id is only a transport key, ADR 0016)
//! → `Summary` (hash of heads per member document) → `Want` for each differing document →
//! `Bundle` (verified by `Node::import_bundle` before anything is stored) or `NoChange` →
//! `Status` (digest once my wants are answered). Afterwards local changes are pushed at once
//! as `Bundle`s, acknowledged by `Status`.
//!
//! The protocol itself is a pure state machine (`machine`); this module is its driver: a
//! reader and a writer task (`io`), the node's events, commands and a timer become the
//! machine's inputs, and its actions become frames, reports and events. The session never
//! blocks on writing while the peer may be waiting for it to read: the machine holds outgoing
//! items (bounded) and builds a bundle only when the writer has room.

#[cfg(test)]
mod adversarial;
mod io;
// Crate-visible for `crate::fuzzing` (feature `fuzzing`); still private to the crate.
pub(crate) mod machine;

pub use io::CHUNK_DEADLINE;
pub use machine::SyncOutcome;

use crate::wire::WireError;
use futures::AsyncReadExt;
use libp2p::PeerId;
use machine::{Action, Input, Machine, Touched};
use partage::{DeviceId, MemberId, NeighbourhoodId, Node};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc, oneshot};

pub(crate) use io::PREPARED_AHEAD;

/// Frames handed to the writer task ahead of the socket.
const WRITE_QUEUE: usize = 2;
/// Decoded frames waiting for the session.
const READ_QUEUE: usize = 2;
/// Frames handled in one step at most: the one received and those queued behind it.
const MAX_FRAMES_AT_ONCE: usize = READ_QUEUE + 1;
/// Commands waiting for the session.
pub(crate) const COMMAND_QUEUE: usize = 8;
/// Callers waiting on one round at most (later ones are told at once, unconverged).
const MAX_WAITERS: usize = 16;
/// Node events drained at once before acting (a burst of edits becomes one push per document).
const MAX_DRAIN: usize = 4096;

/// Everything a session needs from the event loop.
pub(crate) struct SessionParams {
    pub node: Node,
    pub local: PeerId,
    pub peer: PeerId,
    /// The peer's transport key: how events name it.
    pub transport: DeviceId,
    pub id: u64,
    pub max_frame: usize,
    /// See `NetConfig::round_idle_timeout`.
    pub round_idle: std::time::Duration,
    pub budget: Arc<Semaphore>,
    /// Slots for whole documents loaded ahead by the readers (`io::PREPARED_AHEAD`), node-wide.
    pub prepared_ahead: Arc<Semaphore>,
    pub reports: mpsc::Sender<Report>,
    pub blocks: Arc<crate::member_blocks::MemberBlocks>,
}

/// A task aborted when this handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Requests from the event loop.
pub(crate) enum SessionCmd {
    /// Run a sync round now and say how it went.
    Sync(oneshot::Sender<SyncOutcome>),
}

/// What a session tells the event loop.
#[derive(Debug)]
pub(crate) enum Report {
    Verified {
        peer: PeerId,
        session: u64,
        member: MemberId,
        /// The device it proved to be (bound to this session).
        device: DeviceId,
        neighbourhood: NeighbourhoodId,
    },
    Syncing {
        peer: PeerId,
        session: u64,
    },
    Synced {
        peer: PeerId,
        session: u64,
        outcome: SyncOutcome,
    },
    Ended {
        peer: PeerId,
        session: u64,
        end: End,
    },
    /// A new device of this member was linked over its connection (see `crate::link`).
    Linked {
        peer: PeerId,
        device: partage::DeviceId,
    },
}

/// Why a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The stream closed or the event loop let the session go.
    Closed,
    /// The peer sent garbage, oversized or forged data.
    Misbehaved(String),
    /// A local problem (storage).
    Failed(String),
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
    // Aborted when the session ends, or when the event loop drops it (a stop): the reader holds
    // a handle on the node, which must be gone once the network has stopped.
    let reader = AbortOnDrop(tokio::spawn(io::read_loop(
        read_half,
        p.max_frame,
        p.budget.clone(),
        proofs_rx,
        in_tx,
        Some(io::Ahead {
            node: p.node.clone(),
            slots: p.prepared_ahead.clone(),
            own: Arc::new(Semaphore::new(PREPARED_AHEAD)),
        }),
    )));
    let writer = tokio::spawn(io::write_loop(write_half, out_rx));
    let params = machine::Params {
        local: p.local,
        peer: p.peer,
        transport: p.transport,
        id: p.id,
        max_frame: p.max_frame,
        round_idle: p.round_idle,
        blocks: p.blocks,
    };
    let mut driver = Driver {
        machine: Some(Machine::new(params, Instant::now())),
        node: p.node,
        reports: p.reports,
        proofs,
        waiters: Vec::new(),
    };
    let end = driver.run_loop(in_rx, out_tx, commands).await;
    if let Some(outcome) = driver.machine.as_mut().and_then(|m| m.abandon(Instant::now())) {
        driver.tell_waiters(&outcome);
    }
    drop(reader);
    // The writer ends by itself once the last frames are written (its channel is closed).
    drop(writer);
    // Answers of a round cut short are made durable now (a whole round flushes by itself).
    let node = driver.node.clone();
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || node.flush()).await {
        crate::trace!("session end: flushing received documents failed: {e}");
    }
    let _ = reports.send(Report::Ended { peer, session: id, end }).await;
}

/// Feeds the machine and carries out what it asks.
struct Driver {
    /// `None` only while a step runs on a blocking thread.
    machine: Option<Machine>,
    node: Node,
    reports: mpsc::Sender<Report>,
    /// Proofs judged so far and whether one held: lifts the pre-proof frame limit of the reader
    /// (see `io`).
    proofs: tokio::sync::watch::Sender<io::Proofs>,
    /// Callers waiting for the current round to end.
    waiters: Vec<oneshot::Sender<SyncOutcome>>,
}

impl Driver {
    async fn run_loop(
        &mut self,
        mut inbound: mpsc::Receiver<Result<io::Inbound, WireError>>,
        writer: mpsc::Sender<Vec<u8>>,
        mut commands: mpsc::Receiver<SessionCmd>,
    ) -> End {
        let mut events = self.node.subscribe();
        let Some(period) = self.machine.as_ref().map(Machine::tick_period) else { return End::Closed };
        let mut tick = tokio::time::interval(period);
        if let Err(end) = self.step(Input::Start, None).await {
            return end;
        }
        loop {
            let has_outgoing = self.machine.as_ref().is_some_and(Machine::has_outgoing);
            let step = tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    Some(SessionCmd::Sync(reply)) => self.request_round(reply).await,
                    None => Err(End::Closed),
                },
                // Writing comes before reading: a peer that floods cannot starve its own answers
                // (and one that stops reading them fills the outbox and is let go).
                permit = writer.reserve(), if has_outgoing => match permit {
                    Ok(permit) => self.step(Input::WriterReady, Some(permit)).await,
                    Err(_) => Err(End::Closed),
                },
                item = inbound.recv() => match item {
                    Some(Ok(frame)) => self.on_frames(frame, &mut inbound).await,
                    Some(Err(e)) if e.is_misbehaviour() => Err(End::Misbehaved(e.to_string())),
                    Some(Err(_)) | None => Err(End::Closed),
                },
                event = events.recv() => match event {
                    Some(first) => {
                        let mut touched = Touched::default();
                        touched.note(&first);
                        for _ in 0..MAX_DRAIN {
                            let Some(e) = events.try_recv() else { break };
                            touched.note(&e);
                        }
                        self.step(Input::Changed(touched), None).await
                    }
                    None => Err(End::Closed),
                },
                _ = tick.tick() => self.step(Input::Tick, None).await,
            };
            if let Err(end) = step {
                crate::trace!("session ends: {end:?}");
                return end;
            }
        }
    }

    /// Handles `first` with the frames already read behind it (up to `MAX_FRAMES_AT_ONCE`) in
    /// one step, so that the documents among them load on the available cores together; an
    /// error read behind them ends the session once they are handled.
    async fn on_frames(
        &mut self,
        first: io::Inbound,
        inbound: &mut mpsc::Receiver<Result<io::Inbound, WireError>>,
    ) -> Result<(), End> {
        let mut frames = vec![first];
        let mut error = None;
        while frames.len() < MAX_FRAMES_AT_ONCE {
            match inbound.try_recv() {
                Ok(Ok(frame)) => frames.push(frame),
                Ok(Err(e)) => {
                    error = Some(e);
                    break;
                }
                Err(_) => break,
            }
        }
        // Each frame keeps its share of the budget until it is handled.
        let mut permits = Vec::with_capacity(frames.len());
        let mut slots = Vec::new();
        let mut bodies = Vec::with_capacity(frames.len());
        for frame in frames {
            permits.push(frame.permit);
            bodies.push((frame.body, frame.size));
            if let (Some(prepared), Some(machine)) = (frame.prepared, self.machine.as_mut()) {
                machine.offer_prepared(prepared.key, prepared.doc);
                slots.push(prepared.slot);
            }
        }
        let input = match bodies.len() {
            1 => {
                let (body, size) = bodies.remove(0);
                Input::Frame { body, size }
            }
            _ => Input::Frames(bodies),
        };
        self.step(input, None).await?;
        drop((permits, slots));
        match error {
            Some(e) if e.is_misbehaviour() => Err(End::Misbehaved(e.to_string())),
            Some(_) => Err(End::Closed),
            None => Ok(()),
        }
    }

    async fn request_round(&mut self, reply: oneshot::Sender<SyncOutcome>) -> Result<(), End> {
        if self.waiters.len() >= MAX_WAITERS {
            let duration = self.machine.as_ref().map(|m| m.round_elapsed(Instant::now())).unwrap_or_default();
            let _ = reply.send(SyncOutcome {
                converged: false,
                docs_received: 0,
                docs_sent: 0,
                bytes_received: 0,
                bytes_sent: 0,
                messages_received: 0,
                messages_sent: 0,
                duration,
            });
            return Ok(());
        }
        self.waiters.push(reply);
        self.step(Input::SyncRequested, None).await
    }

    /// Runs one step of the machine on a blocking thread (the node's answers take its lock and
    /// may touch the store), then carries out its actions.
    async fn step(&mut self, input: Input, permit: Option<mpsc::Permit<'_, Vec<u8>>>) -> Result<(), End> {
        let mut machine = self.machine.take().ok_or(End::Closed)?;
        let node = self.node.clone();
        let (machine, step) = tokio::task::spawn_blocking(move || {
            let step = machine.step(input, &node, Instant::now());
            (machine, step)
        })
        .await
        .map_err(|e| End::Failed(format!("a background task failed: {e}")))?;
        self.machine = Some(machine);
        let mut permit = permit;
        for action in step.actions {
            match action {
                Action::Send(frame) => {
                    if let Some(p) = permit.take() {
                        p.send(frame);
                    }
                }
                // The event loop drains reports continuously; if it is gone the session ends soon.
                Action::Report(r) => drop(self.reports.try_send(r)),
                Action::Net(e) => self.node.report_network(e),
                Action::ProofJudged { verified } => self.proofs.send_modify(|p| {
                    p.handled = p.handled.saturating_add(1);
                    p.verified = verified;
                }),
                Action::RoundFinished(outcome) => self.tell_waiters(&outcome),
            }
        }
        step.end.map_or(Ok(()), Err)
    }

    fn tell_waiters(&mut self, outcome: &SyncOutcome) {
        for w in self.waiters.drain(..) {
            let _ = w.send(outcome.clone());
        }
    }
}
