//! The sync protocol as a pure state machine (sans-IO). It owns no socket, task or clock:
//! the driver (`session::run`) feeds it [`Input`]s with the current time and a [`Facts`]
//! (the node's answers), and carries out the [`Action`]s it returns. The same machine runs in
//! property tests with two real nodes and a simulated channel, without sockets or threads.
//!
//! Phases, one file each: `membership` (hello, proofs, refusals), `exchange` (summaries,
//! wants, status), `transfer` (documents received), `outgoing` (frames built when the writer
//! has room), `live` (pushes of local changes), `round` (when a sync round ends).

mod exchange;
mod facts;
mod limits;
mod live;
mod membership;
mod outgoing;
#[cfg(test)]
mod props;
mod round;
mod state;
mod transfer;

pub(crate) use facts::Facts;
pub(crate) use live::Touched;
pub use state::SyncOutcome;

use super::{End, Report};
use crate::digest::{self, SessionKey};
use crate::wire::{Msg, WireError};
use libp2p::PeerId;
use partage::events::NetEvent;
use partage::{DeviceId, DocSummary, NeighbourhoodId};
use state::{Counters, NsState, Round};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Messages and bundles waiting to be written, at most (a peer asking for more misbehaves).
const MAX_OUTBOX: usize = 2 * crate::wire::MAX_DOCS + 256;
/// A peer that does not answer a `Hello` within this time is let go.
pub(crate) const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// My summaries of a neighbourhood's documents, and their digest.
type Mine = (Vec<DocSummary>, [u8; 32]);

/// Who the machine talks to and its limits.
#[derive(Clone, Debug)]
pub(crate) struct Params {
    pub local: PeerId,
    pub peer: PeerId,
    /// The peer's transport key (authenticated by Noise, one network's only: ADR 0016): how
    /// events name the peer.
    pub transport: DeviceId,
    /// This session's number (reports carry it).
    pub id: u64,
    pub max_frame: usize,
    /// See `NetConfig::round_idle_timeout`.
    pub round_idle: Duration,
    /// Members the event loop blocked for misbehaving (any of their devices is turned away).
    pub blocks: std::sync::Arc<crate::member_blocks::MemberBlocks>,
}

/// What happened, for the machine to react to.
#[derive(Debug)]
pub(crate) enum Input {
    /// The stream is open: say hello.
    Start,
    /// A whole frame body from the peer (not decoded yet) and its size on the wire.
    Frame { body: Vec<u8>, size: usize },
    /// Frames that arrived together (bodies and sizes), handled in order.
    Frames(Vec<(Vec<u8>, usize)>),
    /// The app asked for a sync round.
    SyncRequested,
    /// Local data changed (see [`Touched`]).
    Changed(Touched),
    /// The writer has room for one frame.
    WriterReady,
    /// Time passed (timeouts are checked).
    Tick,
}

/// What the driver must do.
#[derive(Debug)]
pub(crate) enum Action {
    /// Write this frame.
    Send(Vec<u8>),
    /// Tell the event loop.
    Report(Report),
    /// Tell the node's subscribers.
    Net(NetEvent),
    /// A `Proof` from the peer was judged (`verified`: the peer has proven membership of some
    /// neighbourhood); the reader may be waiting on it (see `io`).
    ProofJudged { verified: bool },
    /// The current sync round ended: tell whoever asked for it.
    RoundFinished(SyncOutcome),
}

/// The result of one step: actions to carry out, and whether the session ends.
#[derive(Debug, Default)]
pub(crate) struct Step {
    pub actions: Vec<Action>,
    pub end: Option<End>,
}

pub(crate) struct Machine {
    p: Params,
    key: SessionKey,
    /// The device the peer proved to be in this session (one per session).
    device: Option<DeviceId>,
    /// My device's signature over my side of this session's binding, made once.
    my_binding: Option<partage::session_binding::BindingSignature>,
    /// The time of the input being handled.
    now: Instant,
    /// My neighbourhoods and their shared secrets.
    secrets: BTreeMap<NeighbourhoodId, [u8; 32]>,
    /// My neighbourhoods by the tag the peer must send for them in this session (bound to the
    /// peer: never the tag I send).
    tags: HashMap<[u8; 32], NeighbourhoodId>,
    /// Neighbourhoods both sides are in: the peer sent its tag, proving it knows the secret.
    /// Nothing is said about a neighbourhood (proof, refusal) before it is in here.
    shared: BTreeMap<NeighbourhoodId, NsState>,
    /// My summaries and digest per neighbourhood, dropped whenever something may have changed.
    mine: HashMap<NeighbourhoodId, Mine>,
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
    /// Pushes from the peer of what I already held (`replays`: seen from their hashes; `useless`:
    /// found only by verifying them), in the current window.
    replays: limits::Window,
    useless_pushes: limits::Window,
    /// When the peer last sent a whole message.
    last_heard: Instant,
    actions: Vec<Action>,
    /// Whole documents checked and loaded ahead of their frames (`prepare_answers`); emptied
    /// after every step.
    prepared: HashMap<(NeighbourhoodId, partage::MemberId), partage::node::PreparedDoc>,
}

/// One queued outgoing item.
pub(crate) enum Out {
    Msg(Msg),
    /// Answer a `Want`: `owner`'s document beyond `have`.
    Answer {
        ns: NeighbourhoodId,
        owner: partage::MemberId,
        have: Vec<[u8; 32]>,
    },
    /// Push local changes of `owner`'s document beyond what the peer is known to have.
    Push {
        ns: NeighbourhoodId,
        owner: partage::MemberId,
    },
}

impl Machine {
    pub(crate) fn new(p: Params, now: Instant) -> Self {
        let key = SessionKey::new(&p.local, &p.peer);
        Machine {
            p,
            key,
            device: None,
            my_binding: None,
            now,
            secrets: BTreeMap::new(),
            tags: HashMap::new(),
            shared: BTreeMap::new(),
            mine: HashMap::new(),
            outbox: VecDeque::new(),
            totals: Counters::default(),
            round: None,
            hellos_expected: 0,
            hello_asked: now,
            hello_requests: limits::Window::new(now),
            full_wants: limits::Window::new(now),
            replays: limits::Window::new(now),
            useless_pushes: limits::Window::new(now),
            last_heard: now,
            actions: Vec::new(),
            prepared: HashMap::new(),
        }
    }

    /// Something is waiting to be written (the driver then offers [`Input::WriterReady`]).
    pub(crate) fn has_outgoing(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// How often the driver should send [`Input::Tick`].
    pub(crate) fn tick_period(&self) -> Duration {
        (HELLO_TIMEOUT / 4).min(self.p.round_idle / 2).max(Duration::from_millis(100))
    }

    /// How events name the peer: by its transport key, as `Network::peers` lists it (which
    /// also says which device it proved to be).
    pub(super) fn who(&self) -> DeviceId {
        self.p.transport
    }

    /// Handles one input.
    pub(crate) fn step(&mut self, input: Input, facts: &dyn Facts, now: Instant) -> Step {
        self.now = now;
        let result = self.dispatch(input, facts).and_then(|()| self.after_input(facts));
        self.prepared.clear();
        Step { actions: std::mem::take(&mut self.actions), end: result.err() }
    }

    /// What every input is followed by: the outbox bound, and whether the round is over (both
    /// settled checks: a second call changes nothing).
    fn after_input(&mut self, facts: &dyn Facts) -> Result<(), End> {
        if self.outbox.len() > MAX_OUTBOX {
            return Err(End::Misbehaved("asked for more than the protocol allows at once".into()));
        }
        self.check_round(facts)
    }

    /// The session is over: closes an open round without announcing it; its outcome (not
    /// converged) goes to whoever waits on it.
    pub(crate) fn abandon(&mut self, now: Instant) -> Option<SyncOutcome> {
        self.now = now;
        self.finish_round(false, false)
    }

    /// How long the current round has run (zero without one).
    pub(crate) fn round_elapsed(&self, now: Instant) -> Duration {
        self.round.as_ref().map_or(Duration::ZERO, |r| now.saturating_duration_since(r.started))
    }

    fn dispatch(&mut self, input: Input, facts: &dyn Facts) -> Result<(), End> {
        match input {
            Input::Start => self.start(facts),
            Input::Frame { body, size } => self.on_frame(&body, size, facts),
            Input::Frames(frames) => {
                // Each frame as if it came alone, after the documents among them were prepared.
                self.prepare_answers(&frames, facts);
                frames.into_iter().try_for_each(|(body, size)| {
                    self.on_frame(&body, size, facts)?;
                    self.after_input(facts)
                })
            }
            Input::SyncRequested => self.request_round(facts),
            Input::Changed(touched) => self.on_changes(touched, facts),
            Input::WriterReady => self.send_next(facts),
            Input::Tick => self.check_timeouts(),
        }
    }

    fn on_frame(&mut self, body: &[u8], size: usize, facts: &dyn Facts) -> Result<(), End> {
        self.last_heard = self.now;
        self.totals.bytes_in += size as u64;
        self.totals.messages_in += 1;
        match self.admit(body) {
            Ok(Some(msg)) => {
                crate::trace!("{} <- {} {:?}", self.p.local, self.p.peer, short(&msg));
                self.handle(msg, size, facts)
            }
            Ok(None) => Ok(()),
            Err(e) => Err(End::Misbehaved(e.to_string())),
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

    fn handle(&mut self, msg: Msg, size: usize, facts: &dyn Facts) -> Result<(), End> {
        match msg {
            Msg::Hello { reply, entries } => self.on_hello(reply, entries, facts),
            Msg::Proof { ns, proof } => self.on_proof(ns, proof, facts),
            Msg::Denied { ns, reason } => {
                self.on_denied(ns, reason);
                Ok(())
            }
            Msg::Summary { ns, docs, revocations } => self.on_summary(ns, docs, revocations, facts),
            Msg::Want { ns, owner, heads } => self.on_want(ns, owner, heads),
            Msg::Bundle { answer, bundle } => self.on_bundle(answer, bundle, size, facts),
            Msg::NoChange { ns, owner } => self.on_no_change(ns, owner, facts),
            Msg::Ahead { ns, owner, heads } => self.on_ahead(ns, owner, heads, facts),
            Msg::Status { ns, digest, ack } => self.on_status(ns, digest, ack, facts),
        }
    }

    fn check_timeouts(&self) -> Result<(), End> {
        let since = |t: Instant| self.now.saturating_duration_since(t);
        if self.hellos_expected > 0 && since(self.hello_asked) > HELLO_TIMEOUT {
            Err(End::Failed("the peer did not answer in time".into()))
        } else if self.round.is_some() && since(self.last_heard) > self.p.round_idle {
            Err(End::Failed("the peer stopped answering in the middle of a sync".into()))
        } else {
            Ok(())
        }
    }

    /// My digest of `ns` (cached); `None` if I left it meanwhile.
    fn my_digest(&mut self, ns: &NeighbourhoodId, facts: &dyn Facts) -> Result<Option<[u8; 32]>, End> {
        Ok(self.my_summaries(ns, facts)?.map(|(_, d)| d))
    }

    fn my_summaries(&mut self, ns: &NeighbourhoodId, facts: &dyn Facts) -> Result<Option<Mine>, End> {
        if let Some(hit) = self.mine.get(ns) {
            return Ok(Some(hit.clone()));
        }
        let Some(secret) = self.secrets.get(ns).copied() else { return Ok(None) };
        let summaries = match facts.sync_summaries(ns) {
            Ok(s) => s,
            Err(partage::Error::UnknownNeighbourhood(_)) => return Ok(None),
            Err(e) => return Err(End::Failed(e.to_string())),
        };
        let d = digest::digest(&self.key, &secret, &summaries);
        self.mine.insert(*ns, (summaries.clone(), d));
        Ok(Some((summaries, d)))
    }

    fn report(&mut self, event: NetEvent) {
        self.actions.push(Action::Net(event));
    }

    fn send_report(&mut self, report: Report) {
        self.actions.push(Action::Report(report));
    }
}

/// A node error as the end of a session.
fn failed(e: partage::Error) -> End {
    End::Failed(e.to_string())
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
