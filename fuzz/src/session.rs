//! Target `session`: the sync protocol state machine of a member's node, through
//! `partage_net::fuzzing::SessionHarness` (feature `fuzzing`). Every frame a peer can send,
//! in any order, at any point of a session, with the driver's other inputs mixed in.
//!
//! The fixture `fixtures/session.json` holds two exports, Carol's and Alice's, members of
//! "Impasse des Tilleuls" (its own neighbourhood, apart from the bundle target's fixtures). Each
//! holds data the other lacks: Carol lacks Alice's latest changes, Bob's document and Alice's
//! revocation of Dave; Alice lacks Carol's latest change. Each process restores both, runs one
//! clean exchange between them and records Alice's frames (the *genuine* frames: hello, proof,
//! summary, wants, bundles, status). After that only Carol runs: she is reset to the fixture
//! whenever an input changed her store.
//!
//! Input:
//! - byte 0: bit 7 set: the connection comes from a stranger's device, not Alice's. Bits 0-6:
//!   how many of the genuine frames are replayed to Carol first (capped at their number). 0 is a
//!   fresh session; 2 is after Alice's hello and proof (Alice verified, unless a stranger); all
//!   of them is after a whole round.
//! - then operations, until the input or the session ends (at most [`MAX_OPS`]); op byte mod 8:
//!   - 0, 1: a frame from the peer: u16-LE length, then the body (`Input::piece`);
//!   - 2: one of the genuine frames again (next byte, modulo their number): replays, duplicates
//!     and reorders without carrying the bytes;
//!   - 3: the writer stalls, or resumes (frames pile up in the machine while stalled);
//!   - 4: time passes (next byte × 250 ms), then a tick;
//!   - 5: the app asks for a sync;
//!   - 6: the node's events go to the machine (as the driver's event branch does);
//!   - 7: Carol adds an item (title from the next byte), then her node's events go to the machine.
//! - at the end the writer resumes and time passes past every timeout (one tick).
//!
//! Checked after every call, besides "no panic":
//! - the machine stops writing within a bound (`Outcome::stuck`: a loop);
//! - every frame it writes has a correct length prefix, decodes with `wire::decode` and is
//!   within `Msg::validate`'s limits; it names only Carol's neighbourhood; anything beyond
//!   hello, proof and denied is only for a neighbourhood the peer has proven membership of;
//! - a stranger is never verified;
//! - nothing is stored (document heads, revocations) while the peer has not proven membership.

use crate::{Input, work};
use partage::export::ExportFile;
use partage::node::STORE_FILE;
use partage::{DeviceId, ItemDraft, NeighbourhoodId, Node};
use partage_net::fuzzing::{self, Outcome, SessionHarness};
use partage_net::wire::{self, Msg};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Operations read from one input at most.
pub const MAX_OPS: usize = 256;
/// The round idle timeout given to the machine.
pub const ROUND_IDLE: Duration = Duration::from_secs(5);
/// Frames delivered in the recording exchange at most (it needs about a dozen).
const MAX_EXCHANGE: usize = 1000;
/// The stranger's device key (a fixed made-up key, member of nothing).
pub const STRANGER_SECRET: [u8; 32] = [0x5a; 32];

/// `fixtures/session.json`.
#[derive(Serialize, Deserialize)]
pub struct SessionFixture {
    pub carol: ExportFile,
    pub alice: ExportFile,
}

impl SessionFixture {
    pub fn load(dir: &Path) -> SessionFixture {
        let path = dir.join("session.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run make-fixtures session)", path.display()));
        serde_json::from_str(&text).expect("session.json")
    }
}

/// Carol's and Alice's nodes restored from the fixture, in `dir`.
pub fn restore(fx: SessionFixture, dir: &Path) -> (Node, Node) {
    let open = |name: &str, file: ExportFile| {
        let node = Node::open(dir.join(name)).expect("open node");
        node.import_data(file).expect("restore the session fixture");
        node
    };
    (open("carol", fx.carol), open("alice", fx.alice))
}

fn device(node: &Node) -> DeviceId {
    node.identity().expect("identity").expect("restored identity").device
}

/// Alice's frames in a clean exchange with Carol (both as restored from the fixture); with
/// `push`, also the frames of a live push after the round (Alice adds an item), which are not
/// deterministic (a new change) and serve only as seeds. Changes both nodes.
pub fn record(carol: &Node, alice: &Node, push: bool) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut c = SessionHarness::new(carol.clone(), device(alice), ROUND_IDLE).expect("Carol's harness");
    let mut a = SessionHarness::new(alice.clone(), device(carol), ROUND_IDLE).expect("Alice's harness");
    let t = fuzzing::exchange(&mut c, &mut a, MAX_EXCHANGE);
    assert!(t.settled && t.converged, "the recording exchange did not converge: {t:?}");
    let mut pushed = Vec::new();
    if push {
        let ns = alice.neighbourhoods().expect("neighbourhoods")[0].id;
        alice.add_item(&ns, ItemDraft { title: "Brouette".into(), ..ItemDraft::default() }).expect("add");
        pushed = a.node_events().sent.iter().map(|f| f[wire::PREFIX..].to_vec()).collect();
        assert!(!pushed.is_empty(), "Alice pushed nothing");
    }
    (t.b_to_a, pushed)
}

/// What a test compares while the peer is unverified: what Carol stores of other members.
pub fn fingerprint(node: &Node, ns: &NeighbourhoodId) -> String {
    let docs = node.doc_summaries(ns).expect("doc_summaries");
    let revocations = node.revocations(ns).expect("revocations");
    format!("{docs:?}|{revocations:?}")
}

/// Carol's node, the genuine frames, and the reset to the fixture.
pub struct SessionTarget {
    template: PathBuf,
    live: PathBuf,
    node: Option<Node>,
    /// The fingerprint of the fixture.
    clean: String,
    pub ns: NeighbourhoodId,
    pub alice: DeviceId,
    pub stranger: DeviceId,
    /// Alice's frames in a clean exchange with Carol.
    pub genuine: Vec<Vec<u8>>,
}

impl SessionTarget {
    pub fn new(fx: SessionFixture) -> SessionTarget {
        let work = work::dir("session");
        let (carol, alice) = restore(fx, &work);
        let ns = carol.neighbourhoods().expect("neighbourhoods")[0].id;
        let clean = fingerprint(&carol, &ns);
        // The template is Carol as restored, before the recording changes her.
        let template = work.join("template");
        std::fs::create_dir_all(&template).expect("create template dir");
        std::fs::copy(work.join("carol").join(STORE_FILE), template.join(STORE_FILE)).expect("copy template");
        let alice_device = device(&alice);
        let (genuine, _) = record(&carol, &alice, false);
        drop((carol, alice));
        let _ = std::fs::remove_dir_all(work.join("alice"));
        let _ = std::fs::remove_dir_all(work.join("carol"));
        let stranger = fuzzing::device_of_secret(STRANGER_SECRET).expect("stranger device");
        let mut t = SessionTarget {
            template,
            live: work.join("live"),
            node: None,
            clean,
            ns,
            alice: alice_device,
            stranger,
            genuine,
        };
        t.reset();
        t
    }

    fn reset(&mut self) {
        self.node = None;
        let _ = std::fs::remove_dir_all(&self.live);
        std::fs::create_dir_all(&self.live).expect("create live dir");
        std::fs::copy(self.template.join(STORE_FILE), self.live.join(STORE_FILE)).expect("copy template");
        self.node = Some(Node::open(&self.live).expect("open live node"));
    }

    /// Runs one input (see the module documentation); returns a line on how the session went.
    pub fn run(&mut self, data: &[u8]) -> String {
        let node = self.node.clone().expect("node");
        let mut input = Input::new(data);
        let first = input.byte();
        let stranger = first & 0x80 != 0;
        let replayed = usize::from(first & 0x7f).min(self.genuine.len());
        let peer = if stranger { self.stranger } else { self.alice };
        let mut h = SessionHarness::new(node.clone(), peer, ROUND_IDLE).expect("harness");
        let mut check = Check { ns: self.ns, stranger, clean: self.clean.clone(), edited: false, frames: 0 };
        let out = h.start();
        check.after(&h, &out);
        for body in self.genuine.iter().take(replayed) {
            let out = h.frame(body);
            check.after(&h, &out);
        }
        let mut ops = 0;
        while !input.is_empty() && h.ended().is_none() && ops < MAX_OPS {
            ops += 1;
            let out = match input.byte() % 8 {
                0 | 1 => h.frame(input.piece()),
                2 => {
                    let i = usize::from(input.byte()) % self.genuine.len().max(1);
                    h.frame(self.genuine.get(i).map_or(&[][..], Vec::as_slice))
                }
                3 => {
                    let stalled = !h.writer_stalled();
                    h.set_writer_stalled(stalled)
                }
                4 => h.tick(Duration::from_millis(250 * u64::from(input.byte()))),
                5 => h.sync_requested(),
                6 => h.node_events(),
                _ => {
                    let title = format!("Objet {}", input.byte());
                    node.add_item(&self.ns, ItemDraft { title, ..ItemDraft::default() }).expect("add_item");
                    // A local edit: what the peer sends is compared with Carol's own state from here.
                    check.edited = true;
                    if h.verified().is_empty() {
                        check.clean = fingerprint(&node, &self.ns);
                    }
                    h.node_events()
                }
            };
            check.after(&h, &out);
        }
        let out = h.set_writer_stalled(false);
        check.after(&h, &out);
        let out = h.tick(ROUND_IDLE * 2 + Duration::from_secs(60));
        check.after(&h, &out);
        let summary = format!(
            "{}replayed {replayed}, {ops} ops, {} frames written, verified {}, ended {:?}",
            if stranger { "stranger, " } else { "" },
            check.frames,
            !h.verified().is_empty(),
            h.ended()
        );
        drop(h);
        drop(node);
        if check.edited || fingerprint(self.node.as_ref().expect("node"), &self.ns) != self.clean {
            self.reset();
        }
        summary
    }
}

struct Check {
    ns: NeighbourhoodId,
    stranger: bool,
    /// What Carol stores (other than her own edits) before the peer is verified.
    clean: String,
    edited: bool,
    frames: usize,
}

impl Check {
    fn after(&mut self, h: &SessionHarness, out: &Outcome) {
        assert!(!out.stuck, "the machine kept writing after {} frames: a loop", out.sent.len());
        for frame in &out.sent {
            self.frames += 1;
            let (prefix, body) = frame.split_at(wire::PREFIX.min(frame.len()));
            let len = u32::from_be_bytes(prefix.try_into().expect("a 4-byte length prefix"));
            assert_eq!(len as usize, body.len(), "length prefix does not match the body");
            assert!(body.len() <= fuzzing::MAX_FRAME, "a frame over the limit");
            let msg = match wire::decode(body) {
                Ok(m) => m,
                Err(e) => panic!("the machine wrote a frame that does not decode: {e}"),
            };
            if let Err(e) = msg.validate() {
                panic!("the machine wrote a {} over a limit: {e}", msg.name());
            }
            let ns = match &msg {
                Msg::Hello { entries, .. } => {
                    assert!(
                        entries.len() <= 1,
                        "a hello with {} entries from a one-neighbourhood node",
                        entries.len()
                    );
                    continue;
                }
                Msg::Proof { ns, .. } | Msg::Denied { ns, .. } => {
                    assert_eq!(*ns, self.ns, "a {} for another neighbourhood", msg.name());
                    continue;
                }
                Msg::Summary { ns, .. }
                | Msg::Want { ns, .. }
                | Msg::NoChange { ns, .. }
                | Msg::Ahead { ns, .. }
                | Msg::Status { ns, .. } => *ns,
                Msg::Bundle { bundle, .. } => bundle.neighbourhood,
            };
            assert_eq!(ns, self.ns, "a {} for another neighbourhood", msg.name());
            assert!(
                h.verified().contains(&ns),
                "a {} went to a peer that has not proven membership",
                msg.name()
            );
        }
        if self.stranger {
            assert!(h.verified().is_empty(), "a stranger's device was verified");
        }
        if h.verified().is_empty() {
            let now = fingerprint(h.node(), &self.ns);
            assert!(now == self.clean, "Carol stored data from a peer that has not proven membership");
        }
    }
}
