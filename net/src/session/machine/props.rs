//! Property tests of the protocol machine alone: no sockets, tasks or clock. Two machines, each
//! with its own real node and redb store, exchange frames through a simulated channel that drops,
//! duplicates, reorders and corrupts the first frames, in an order chosen by the test, with a
//! simulated clock. Whatever the channel did, they converge or report (a session end, or a
//! round outcome that says "not converged"); they never panic or loop, a round that claims
//! convergence at the end is true, and neither sends its proof of a neighbourhood before it
//! received the peer's valid tag for it (ADR 0013).

use super::{Action, Input, Machine, Params, SyncOutcome};
use crate::digest::{SessionKey, tag};
use crate::session::End;
use crate::session::adversarial::{Fault, converged, fault, pair};
use crate::wire::{self, Msg};
use partage::{NeighbourhoodId, Node};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// Steps (inputs to either machine) in one case at most: a handful of documents needs a few
/// dozen; more is a loop.
const MAX_STEPS: usize = 5_000;
const ROUND_IDLE: Duration = Duration::from_secs(3);

/// One direction of the channel: applies its faults to the first frames, then passes all.
struct Channel {
    faults: VecDeque<Fault>,
    held: Option<Vec<u8>>,
    queue: VecDeque<Vec<u8>>,
}

impl Channel {
    fn push(&mut self, mut frame: Vec<u8>) {
        match self.faults.pop_front().unwrap_or(Fault::Pass) {
            Fault::Pass => self.queue.push_back(frame.clone()),
            Fault::Drop => {}
            Fault::Duplicate => {
                self.queue.push_back(frame.clone());
                self.queue.push_back(frame.clone());
            }
            Fault::Swap => {
                self.held = Some(frame);
                return;
            }
            Fault::Corrupt(at) => {
                if !frame.is_empty() {
                    let i = at % frame.len();
                    frame[i] ^= 0x5a;
                }
                self.queue.push_back(frame.clone());
            }
        }
        if let Some(h) = self.held.take() {
            self.queue.push_back(h);
        }
    }

    /// The channel turns clean (a reconnect): faults are spent, a held frame is delivered.
    fn clean(&mut self) {
        self.faults.clear();
        if let Some(h) = self.held.take() {
            self.queue.push_back(h);
        }
    }
}

struct Side {
    node: Node,
    machine: Machine,
    ended: Option<End>,
    outcomes: Vec<SyncOutcome>,
    /// The tags the peer must send, by neighbourhood (computed here, apart from the machine).
    peer_tags: HashMap<[u8; 32], NeighbourhoodId>,
    /// Neighbourhoods whose valid tag this side received from the peer.
    tagged: HashSet<NeighbourhoodId>,
    /// A proof sent before the peer's tag.
    early_proof: Option<NeighbourhoodId>,
}

impl Side {
    fn new(node: &Node, peer: &Node, id: u64, now: Instant) -> Side {
        let me = node.identity().unwrap().unwrap().device;
        let other = peer.identity().unwrap().unwrap().device;
        let params = Params {
            local: crate::peer_id_of(&me).unwrap(),
            peer: crate::peer_id_of(&other).unwrap(),
            transport: other,
            id,
            max_frame: 32 * 1024 * 1024,
            round_idle: ROUND_IDLE,
            blocks: Default::default(),
        };
        let key = SessionKey::new(&params.local, &params.peer);
        let peer_tags = node
            .neighbourhood_secrets()
            .unwrap()
            .into_iter()
            .map(|(ns, secret)| (tag(&key, &secret, &params.peer), ns))
            .collect();
        Side {
            node: node.clone(),
            machine: Machine::new(params, now),
            ended: None,
            outcomes: Vec::new(),
            peer_tags,
            tagged: HashSet::new(),
            early_proof: None,
        }
    }

    /// Feeds one input; frames it writes go to `out` (without their length prefix, as the
    /// reader hands bodies to the machine).
    fn step(&mut self, input: Input, now: Instant, out: &mut Channel) {
        if self.ended.is_some() {
            return;
        }
        if let Input::Frame { body, .. } = &input
            && let Ok(Msg::Hello { entries, .. }) = wire::decode(body)
        {
            self.tagged.extend(entries.iter().filter_map(|e| self.peer_tags.get(&e.tag)));
        }
        let step = self.machine.step(input, &self.node, now);
        for action in step.actions {
            match action {
                Action::Send(frame) => {
                    let body = frame.get(crate::wire::PREFIX..).unwrap().to_vec();
                    if let Ok(Msg::Proof { ns, .. }) = wire::decode(&body)
                        && !self.tagged.contains(&ns)
                    {
                        self.early_proof.get_or_insert(ns);
                    }
                    out.push(body);
                }
                Action::RoundFinished(o) => self.outcomes.push(o),
                Action::Report(_) | Action::Net(_) | Action::ProofJudged { .. } => {}
            }
        }
        self.ended = step.end;
    }

    fn reported(&self) -> bool {
        self.ended.is_some() || self.outcomes.last().is_some_and(|o| !o.converged)
    }
}

/// Runs both machines until neither has anything to do; `schedule` picks who acts when both
/// could. Returns the steps taken, or `None` past [`MAX_STEPS`].
fn settle(
    sides: &mut [Side; 2],
    channels: &mut [Channel; 2],
    schedule: &[u8],
    now: &mut Instant,
    steps: &mut usize,
) -> Option<()> {
    loop {
        // What each side can do: write (it has something queued) or read (a frame waits).
        let mut ready = Vec::new();
        for (i, side) in sides.iter().enumerate() {
            if side.ended.is_some() {
                continue;
            }
            if side.machine.has_outgoing() {
                ready.push((i, true));
            }
            if !channels[1 - i].queue.is_empty() {
                ready.push((i, false));
            }
        }
        if ready.is_empty() {
            return Some(());
        }
        *steps += 1;
        if *steps > MAX_STEPS {
            return None;
        }
        let pick = schedule.get(*steps % schedule.len().max(1)).copied().unwrap_or(0);
        let (i, write) = ready[usize::from(pick) % ready.len()];
        *now += Duration::from_millis(1);
        let (left, right) = channels.split_at_mut(1);
        let (out, inbox) = if i == 0 { (&mut left[0], &mut right[0]) } else { (&mut right[0], &mut left[0]) };
        if write {
            sides[i].step(Input::WriterReady, *now, out);
        } else if let Some(body) = inbox.queue.pop_front() {
            let size = body.len() + crate::wire::PREFIX;
            // Frames already queued behind it come along (the driver hands up to three in one
            // step); a `Hello` always alone, so that the early-proof check stays exact.
            let mut frames = vec![(body, size)];
            let along = usize::from(pick / 16) % 3;
            while frames.len() <= along
                && inbox.queue.front().is_some_and(|b| !matches!(wire::decode(b), Ok(Msg::Hello { .. })))
                && !matches!(wire::decode(&frames[0].0), Ok(Msg::Hello { .. }))
            {
                let Some(body) = inbox.queue.pop_front() else { break };
                let size = body.len() + crate::wire::PREFIX;
                frames.push((body, size));
            }
            let input = match frames.len() {
                1 => {
                    let (body, size) = frames.remove(0);
                    Input::Frame { body, size }
                }
                _ => Input::Frames(frames),
            };
            sides[i].step(input, *now, out);
        }
        // A session that ends closes the stream: the other side's ends too.
        if sides[i].ended.is_some() && sides[1 - i].ended.is_none() {
            sides[1 - i].ended = Some(End::Closed);
        }
    }
}

/// Runs one case; `Err` describes a violated property.
fn case(items: (usize, usize), faults: [Vec<Fault>; 2], schedule: Vec<u8>) -> Result<String, String> {
    let (_dir, alice, bob, ns) = pair(items);
    let mut now = Instant::now();
    let mut sides = [Side::new(&alice, &bob, 1, now), Side::new(&bob, &alice, 2, now)];
    let [fa, fb] = faults;
    let channel = |f: Vec<Fault>| Channel { faults: f.into(), held: None, queue: VecDeque::new() };
    let mut channels = [channel(fa), channel(fb)];
    let mut steps = 0;
    for (i, side) in sides.iter_mut().enumerate() {
        side.step(Input::Start, now, &mut channels[i]);
    }
    let looped = || format!("no end after {MAX_STEPS} steps: a loop");
    settle(&mut sides, &mut channels, &schedule, &mut now, &mut steps).ok_or_else(looped)?;
    if !converged(&alice, &bob, &ns) && sides.iter().all(|s| s.ended.is_none()) {
        // The channel turns clean and the app asks for a sync (a pull-to-refresh).
        for (i, side) in sides.iter_mut().enumerate() {
            channels[i].clean();
            side.step(Input::SyncRequested, now, &mut channels[i]);
        }
        settle(&mut sides, &mut channels, &schedule, &mut now, &mut steps).ok_or_else(looped)?;
    }
    // Time passes: a side still waiting on a silent peer gives up.
    now += ROUND_IDLE * 2 + super::HELLO_TIMEOUT;
    for (i, side) in sides.iter_mut().enumerate() {
        side.step(Input::Tick, now, &mut channels[i]);
    }
    if let Some(ns) = sides.iter().find_map(|s| s.early_proof) {
        return Err(format!("a proof of {} went out before the peer's tag", ns.short()));
    }
    let synced = converged(&alice, &bob, &ns);
    if !synced && !sides.iter().any(Side::reported) {
        let state: Vec<_> =
            sides.iter().map(|s| (&s.ended, &s.outcomes, s.machine.round.is_some())).collect();
        let sums = |n: &Node| (n.doc_summaries(&ns).unwrap(), n.sync_summaries(&ns).unwrap());
        return Err(format!(
            "neither converged nor reported: {state:?}\nA {:?}\nB {:?}",
            sums(&alice),
            sums(&bob)
        ));
    }
    let claims = sides.iter().all(|s| s.ended.is_none() && s.outcomes.last().is_some_and(|o| o.converged));
    if claims && !synced {
        return Err("both sides claim convergence, but their documents differ".into());
    }
    Ok(format!(
        "converged {synced}, ends {:?}, {steps} steps",
        sides.iter().map(|s| &s.ended).collect::<Vec<_>>()
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn machines_over_a_faulty_channel_converge_or_report(
        items in (0..4usize, 0..4usize),
        a_to_b in prop::collection::vec(fault(), 0..12),
        b_to_a in prop::collection::vec(fault(), 0..12),
        schedule in prop::collection::vec(any::<u8>(), 1..32),
    ) {
        let result = case(items, [a_to_b, b_to_a], schedule);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }

    #[test]
    fn machines_over_a_clean_channel_converge_in_any_order(
        items in (0..4usize, 0..4usize),
        schedule in prop::collection::vec(any::<u8>(), 1..32),
    ) {
        let (_dir, alice, bob, ns) = pair(items);
        let mut now = Instant::now();
        let mut sides = [Side::new(&alice, &bob, 1, now), Side::new(&bob, &alice, 2, now)];
        let channel = || Channel { faults: VecDeque::new(), held: None, queue: VecDeque::new() };
        let mut channels = [channel(), channel()];
        for (i, side) in sides.iter_mut().enumerate() {
            side.step(Input::Start, now, &mut channels[i]);
        }
        let mut steps = 0;
        prop_assert!(settle(&mut sides, &mut channels, &schedule, &mut now, &mut steps).is_some());
        prop_assert!(sides.iter().all(|s| s.early_proof.is_none()));
        prop_assert!(converged(&alice, &bob, &ns));
        for side in &sides {
            prop_assert!(side.ended.is_none(), "{:?}", side.ended);
            prop_assert!(side.outcomes.last().is_some_and(|o| o.converged), "{:?}", side.outcomes);
        }
        prop_assert_eq!(alice.list_items(&partage::ItemFilter::default()).unwrap().len(), items.0 + items.1);
    }
}

/// A peer that knows nothing sends the machine's own `Hello` back: equal tags on both sides
/// would pass it for a member. It gets no proof, and no frame that names a member or a device.
#[test]
fn an_echoed_hello_gets_no_proof() {
    let (_dir, alice, bob, _ns) = pair((1, 1));
    let now = Instant::now();
    let mut side = Side::new(&alice, &bob, 1, now);
    let mut out = Channel { faults: VecDeque::new(), held: None, queue: VecDeque::new() };
    side.step(Input::Start, now, &mut out);
    while side.machine.has_outgoing() {
        side.step(Input::WriterReady, now, &mut out);
    }
    let hello = out.queue.pop_front().unwrap();
    assert!(matches!(wire::decode(&hello), Ok(Msg::Hello { ref entries, .. }) if !entries.is_empty()));
    side.step(Input::Frame { size: hello.len() + wire::PREFIX, body: hello }, now, &mut out);
    while side.machine.has_outgoing() {
        side.step(Input::WriterReady, now, &mut out);
    }
    let ids: Vec<[u8; 32]> = [&alice, &bob]
        .iter()
        .flat_map(|n| {
            let id = n.identity().unwrap().unwrap();
            [id.member.0, id.device.0]
        })
        .collect();
    for frame in &out.queue {
        assert!(!matches!(wire::decode(frame), Ok(Msg::Proof { .. })), "the echo got a proof");
        assert!(!ids.iter().any(|id| frame.windows(32).any(|w| w == id)), "a frame names a member");
    }
    assert!(side.ended.is_none(), "{:?}", side.ended);
}
