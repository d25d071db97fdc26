//! Fuzzing support (feature `fuzzing`, off by default; see docs/FUZZING.md): drives the sync
//! protocol machine of one node with no sockets, tasks or real clock, as the fuzz target
//! `session` in `fuzz/` needs. The machine itself stays private to the crate. This harness feeds
//! it only what a peer (frames) and the session driver (writer room, time, sync requests, node
//! events) could feed it, and hands back what it wrote.
//!
//! A fuzzer cannot forge signatures. [`exchange`] runs two harnesses against each other and
//! records the frames each one wrote. Those genuine frames, replayed into a fresh harness, take
//! it past a proof, into the states where the peer is verified.

use crate::NetError;
use crate::session::End;
use crate::session::Report;
use crate::session::machine::{Action, Input, Machine, Params, Touched};
use crate::wire::PREFIX;
use partage::events::NetEvent;
use partage::{DeviceId, NeighbourhoodId, Node, Subscription};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Frames the harness lets the machine write after one input, at most. The machine refuses to
/// queue more than `2 * MAX_DOCS + 256` items, so a machine still writing after this many is
/// looping.
pub const MAX_DRAIN: usize = 4 * (2 * crate::wire::MAX_DOCS + 256);

/// The frame size limit the harness gives the machine (the driver's default).
pub const MAX_FRAME: usize = 32 * 1024 * 1024;

/// How a session ended (the crate's own `End`, made public for the harness).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The stream closed, or the session was let go; nobody is blamed.
    Closed,
    /// The peer is blamed.
    Misbehaved(String),
    /// Something local failed, or the peer is turned away without blame (blocked).
    Failed(String),
}

impl From<End> for Ended {
    fn from(end: End) -> Self {
        match end {
            End::Closed => Ended::Closed,
            End::Misbehaved(s) => Ended::Misbehaved(s),
            End::Failed(s) => Ended::Failed(s),
        }
    }
}

/// What one call to the harness did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Frames the machine wrote, each with its length prefix, in order.
    pub sent: Vec<Vec<u8>>,
    /// Events for the node's subscribers.
    pub events: Vec<NetEvent>,
    /// Sync rounds that finished, and whether each converged.
    pub rounds: Vec<bool>,
    /// Inputs given to the machine (the call's own, and writer room).
    pub steps: usize,
    /// The session ended in this call.
    pub ended: Option<Ended>,
    /// The machine still had frames queued after [`MAX_DRAIN`] writes: a loop.
    pub stuck: bool,
}

/// One node's protocol machine, facing one peer device.
pub struct SessionHarness {
    node: Node,
    machine: Machine,
    /// The node's event stream, turned into `Input::Changed` by [`SessionHarness::node_events`].
    events: Subscription,
    now: Instant,
    ended: Option<Ended>,
    writer_stalled: bool,
    /// Neighbourhoods the peer has proven membership of in this session.
    verified: BTreeSet<NeighbourhoodId>,
}

impl SessionHarness {
    /// A machine for `node` (which must have an identity) facing the device `peer`, which a
    /// real session would know from Noise.
    pub fn new(node: Node, peer: DeviceId, round_idle: Duration) -> Result<Self, NetError> {
        let me = node.identity()?.ok_or_else(|| NetError::Setup("the node has no identity".into()))?;
        let peer_id = |d: &DeviceId| {
            crate::peer_id_of(d).ok_or_else(|| NetError::Setup("a device id is not an ed25519 key".into()))
        };
        let now = Instant::now();
        let params = Params {
            local: peer_id(&me.device)?,
            peer: peer_id(&peer)?,
            transport: peer,
            id: 1,
            max_frame: MAX_FRAME,
            round_idle,
            blocks: Default::default(),
        };
        let events = node.subscribe();
        Ok(SessionHarness {
            node,
            machine: Machine::new(params, now),
            events,
            now,
            ended: None,
            writer_stalled: false,
            verified: BTreeSet::new(),
        })
    }

    /// The stream is open: the machine says hello.
    pub fn start(&mut self) -> Outcome {
        self.run(Input::Start)
    }

    /// A frame body from the peer (without its length prefix).
    pub fn frame(&mut self, body: &[u8]) -> Outcome {
        self.run(Input::Frame { body: body.to_vec(), size: body.len() + PREFIX })
    }

    /// Time passes, then the driver's timer fires.
    pub fn tick(&mut self, advance: Duration) -> Outcome {
        self.now += advance;
        self.run(Input::Tick)
    }

    /// The app asks for a sync round.
    pub fn sync_requested(&mut self) -> Outcome {
        self.run(Input::SyncRequested)
    }

    /// Hands the node's events since the last call to the machine, as the driver does (one
    /// `Input::Changed` for the whole burst); does nothing if there were none.
    pub fn node_events(&mut self) -> Outcome {
        let mut touched = Touched::default();
        let mut any = false;
        // Bounded like the driver's drain; a lagging subscription reports an overflow instead.
        for _ in 0..4096 {
            let Some(e) = self.events.try_recv() else { break };
            touched.note(&e);
            any = true;
        }
        if any { self.run(Input::Changed(touched)) } else { Outcome::default() }
    }

    /// A stalled writer has no room: frames stay queued in the machine (as with a peer that
    /// does not read). Unstalling lets the machine write them.
    pub fn set_writer_stalled(&mut self, stalled: bool) -> Outcome {
        self.writer_stalled = stalled;
        let mut out = Outcome::default();
        self.drain(&mut out);
        out
    }

    /// Whether the writer is stalled (see `set_writer_stalled`).
    pub fn writer_stalled(&self) -> bool {
        self.writer_stalled
    }

    /// Why the session ended, if it did; an ended session takes no more input.
    pub fn ended(&self) -> Option<&Ended> {
        self.ended.as_ref()
    }

    /// Neighbourhoods the peer has proven membership of in this session (even if refused later).
    pub fn verified(&self) -> &BTreeSet<NeighbourhoodId> {
        &self.verified
    }

    /// Frames are queued (the writer is stalled, or the session ended with some queued).
    pub fn has_outgoing(&self) -> bool {
        self.machine.has_outgoing()
    }

    /// The node this harness runs on.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// One input, then writer room until nothing is queued (unless stalled).
    fn run(&mut self, input: Input) -> Outcome {
        let mut out = Outcome::default();
        self.step(input, &mut out);
        self.drain(&mut out);
        out
    }

    fn drain(&mut self, out: &mut Outcome) {
        let mut writes = 0;
        while self.ended.is_none() && !self.writer_stalled && self.machine.has_outgoing() {
            if writes == MAX_DRAIN {
                out.stuck = true;
                return;
            }
            writes += 1;
            self.step(Input::WriterReady, out);
        }
    }

    fn step(&mut self, input: Input, out: &mut Outcome) {
        if self.ended.is_some() {
            return;
        }
        // Each input a moment after the last, as on a real clock (rate windows use it).
        self.now += Duration::from_millis(1);
        out.steps += 1;
        let step = self.machine.step(input, &self.node, self.now);
        for action in step.actions {
            match action {
                Action::Send(frame) => out.sent.push(frame),
                Action::Report(Report::Verified { neighbourhood, .. }) => {
                    self.verified.insert(neighbourhood);
                }
                Action::Report(_) | Action::ProofJudged { .. } => {}
                Action::Net(e) => out.events.push(e),
                Action::RoundFinished(o) => out.rounds.push(o.converged),
            }
        }
        if let Some(end) = step.end {
            // As the driver does: an open round is closed, unannounced.
            let _ = self.machine.abandon(self.now);
            let end = Ended::from(end);
            out.ended = Some(end.clone());
            self.ended = Some(end);
        }
    }
}

/// Frames two harnesses wrote to each other in [`exchange`], as bodies (no length prefix).
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    /// Frames the first harness wrote to the second.
    pub a_to_b: Vec<Vec<u8>>,
    /// Frames the second harness wrote to the first.
    pub b_to_a: Vec<Vec<u8>>,
    /// Both sides went quiet with nothing in flight, and neither ended.
    pub settled: bool,
    /// Each side's last finished round converged.
    pub converged: bool,
}

/// Starts `a` and `b` and delivers every frame each writes to the other (one at a time, `a`'s
/// first), until both are quiet, one ends, or `max_frames` were delivered.
///
/// Each side's inputs are its start and the other's frames in order, and both are
/// deterministic, so replaying `b_to_a` into a fresh harness for `a`'s node (in the same state)
/// takes it through the same states.
pub fn exchange(a: &mut SessionHarness, b: &mut SessionHarness, max_frames: usize) -> Transcript {
    let mut t = Transcript::default();
    let body = |f: Vec<u8>| f.get(PREFIX..).map(<[u8]>::to_vec);
    let mut to_b: std::collections::VecDeque<Vec<u8>> = a.start().sent.into_iter().filter_map(body).collect();
    let mut to_a: std::collections::VecDeque<Vec<u8>> = b.start().sent.into_iter().filter_map(body).collect();
    let (mut a_rounds, mut b_rounds) = (Vec::new(), Vec::new());
    let mut delivered = 0;
    while delivered < max_frames && a.ended().is_none() && b.ended().is_none() {
        if let Some(f) = to_b.pop_front() {
            let out = b.frame(&f);
            t.a_to_b.push(f);
            b_rounds.extend(out.rounds);
            to_a.extend(out.sent.into_iter().filter_map(body));
        } else if let Some(f) = to_a.pop_front() {
            let out = a.frame(&f);
            t.b_to_a.push(f);
            a_rounds.extend(out.rounds);
            to_b.extend(out.sent.into_iter().filter_map(body));
        } else {
            break;
        }
        delivered += 1;
    }
    t.settled = to_a.is_empty() && to_b.is_empty() && a.ended().is_none() && b.ended().is_none();
    t.converged = a_rounds.last() == Some(&true) && b_rounds.last() == Some(&true);
    t
}

/// The device id of an ed25519 secret: a fixed stranger for tests and fuzzing.
pub fn device_of_secret(secret: [u8; 32]) -> Option<DeviceId> {
    let keypair = crate::identity::keypair(secret).ok()?;
    crate::device_of(&keypair.public().to_peer_id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use partage::ItemDraft;

    /// Two confirmed members of one neighbourhood, each with `items` items the other lacks (as
    /// `session::adversarial::pair`, which is private to the session module).
    fn pair(items: (usize, usize)) -> (tempfile::TempDir, Node, Node, NeighbourhoodId) {
        let dir = tempfile::tempdir().unwrap();
        let alice = Node::open(dir.path().join("a")).unwrap();
        let bob = Node::open(dir.path().join("b")).unwrap();
        alice.init("Alice").unwrap();
        bob.init("Bob").unwrap();
        let ns = alice.create_neighbourhood("Rue").unwrap().id;
        bob.join(&alice.invite(&ns, 7, 1, vec![]).unwrap()).unwrap();
        let bob_id = bob.identity().unwrap().unwrap().member;
        alice.import_bundle(&bob.doc_bundle(&ns, &bob_id, &[]).unwrap()).unwrap();
        for s in alice.doc_summaries(&ns).unwrap() {
            bob.import_bundle(&alice.doc_bundle(&ns, &s.owner, &[]).unwrap()).unwrap();
        }
        for (node, n) in [(&alice, items.0), (&bob, items.1)] {
            for i in 0..n {
                node.add_item(&ns, ItemDraft { title: format!("Objet {i}"), ..ItemDraft::default() })
                    .unwrap();
            }
        }
        (dir, alice, bob, ns)
    }

    fn converged(a: &Node, b: &Node, ns: &NeighbourhoodId) -> bool {
        a.doc_summaries(ns).unwrap() == b.doc_summaries(ns).unwrap()
    }

    fn harness(node: &Node, peer: &Node) -> SessionHarness {
        let peer = peer.identity().unwrap().unwrap().device;
        SessionHarness::new(node.clone(), peer, Duration::from_secs(3)).unwrap()
    }

    #[test]
    fn a_clean_exchange_converges_and_replays_the_same() {
        let (_dir, alice, bob, ns) = pair((2, 1));
        // A copy of Alice as she is before the exchange, for the replay.
        let copy = tempfile::tempdir().unwrap();
        let alice2 = Node::open(copy.path()).unwrap();
        alice2.import_data(alice.export_data().unwrap()).unwrap();
        let before = bob.doc_summaries(&ns).unwrap();
        let (mut a, mut b) = (harness(&alice, &bob), harness(&bob, &alice));
        let t = exchange(&mut a, &mut b, 1000);
        assert!(t.settled && t.converged, "{t:?}");
        assert!(converged(&alice, &bob, &ns));
        assert!(t.a_to_b.len() > 3 && !t.b_to_a.is_empty());
        assert_ne!(bob.doc_summaries(&ns).unwrap(), before);
        // Bob's frames take the copy through the same states: it writes what Alice wrote.
        let mut h = harness(&alice2, &bob);
        let mut sent = h.start().sent;
        for f in &t.b_to_a {
            let out = h.frame(f);
            assert!(out.ended.is_none() && !out.stuck, "{out:?}");
            sent.extend(out.sent);
        }
        let bodies: Vec<Vec<u8>> = sent.iter().map(|f| f[PREFIX..].to_vec()).collect();
        assert_eq!(bodies, t.a_to_b);
        assert!(converged(&alice2, &bob, &ns));
    }

    #[test]
    fn a_stranger_is_refused_and_nothing_is_stored() {
        let (_dir, alice, bob, ns) = pair((1, 1));
        // Bob's genuine frames, recorded in an exchange with a copy of Alice's node, then
        // replayed on a connection from another device: his proof is bound to his device, so
        // it fails.
        let copy = tempfile::tempdir().unwrap();
        let alice2 = Node::open(copy.path()).unwrap();
        alice2.import_data(alice.export_data().unwrap()).unwrap();
        let t = exchange(&mut harness(&alice2, &bob), &mut harness(&bob, &alice2), 1000);
        assert!(t.settled && t.converged, "{t:?}");
        let before = alice.doc_summaries(&ns).unwrap();
        let stranger = device_of_secret([7; 32]).unwrap();
        let mut h = SessionHarness::new(alice.clone(), stranger, Duration::from_secs(3)).unwrap();
        let mut sent = h.start().sent;
        for f in &t.b_to_a {
            sent.extend(h.frame(f).sent);
        }
        assert!(h.verified().is_empty());
        assert_eq!(alice.doc_summaries(&ns).unwrap(), before);
        for f in &sent {
            let msg = crate::wire::decode(&f[PREFIX..]).unwrap();
            assert!(matches!(msg.name(), "hello" | "proof" | "denied"), "{}", msg.name());
        }
    }

    #[test]
    fn a_stalled_writer_keeps_frames_queued() {
        let (_dir, alice, bob, _ns) = pair((0, 0));
        let mut h = harness(&alice, &bob);
        assert!(h.set_writer_stalled(true).sent.is_empty());
        assert!(h.start().sent.is_empty());
        assert!(h.has_outgoing());
        let out = h.set_writer_stalled(false);
        assert_eq!(out.sent.len(), 1);
        assert!(!out.stuck && !h.has_outgoing());
        // Nobody answers: the hello times out.
        let out = h.tick(crate::session::machine::HELLO_TIMEOUT * 2);
        assert!(matches!(out.ended, Some(Ended::Failed(_))), "{out:?}");
        assert!(h.frame(&[0, 0, 0]).steps == 0);
    }
}
