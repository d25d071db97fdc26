//! What a session remembers per shared neighbourhood, and the bookkeeping of one sync round.

use partage::node::MembershipProof;
use partage::{DeviceId, MemberId};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Hashes remembered per document as "the peer has these and their history".
const MAX_KNOWN_HEADS: usize = 64;

/// Per shared neighbourhood.
#[derive(Default)]
pub(crate) struct NsState {
    /// My proof went out.
    pub proof_sent: bool,
    /// The peer's verified membership.
    pub peer: Option<(MemberId, MembershipProof)>,
    /// I refused the peer's proof: it gets nothing of this neighbourhood.
    pub denied: bool,
    /// The peer refused mine.
    pub refused: bool,
    /// The peer's latest digest.
    pub peer_digest: Option<[u8; 32]>,
    /// A summary exchange is due once the peer is verified.
    pub exchange_wanted: bool,
    /// (my digest, peer digest) when I last sent a summary: no second summary for the same pair.
    pub last_summary: Option<([u8; 32], [u8; 32])>,
    /// The peer reported its digest after my last summary (its side of the exchange is done).
    pub status_since_summary: bool,
    /// Documents I asked for and have not received yet.
    pub wants: HashSet<MemberId>,
    /// Pushes not yet acknowledged.
    pub in_flight: u32,
    /// Local changes wait for the peer's proof.
    pub push_pending: bool,
    /// Per document, hashes the peer is known to have (with their history); `None` until an
    /// exchange or equal digests gave a baseline. A document missing from the map is one the
    /// peer does not have.
    pub known: Option<HashMap<MemberId, Vec<[u8; 32]>>>,
    /// Device certificates already sent in this session.
    pub sent_devices: HashSet<(MemberId, DeviceId)>,
}

impl NsState {
    /// The peer proved membership and was not refused.
    pub fn verified(&self) -> bool {
        self.peer.is_some() && !self.denied
    }

    /// Nothing more can flow for this neighbourhood in this session.
    pub fn closed(&self) -> bool {
        self.denied || self.refused
    }

    /// Records that the peer has `hashes` of `owner`'s document (and their history).
    pub fn peer_has(&mut self, owner: MemberId, hashes: &[[u8; 32]]) {
        let known = self.known.get_or_insert_with(HashMap::new);
        let entry = known.entry(owner).or_default();
        for h in hashes {
            if !entry.contains(h) {
                entry.push(*h);
            }
        }
        if entry.len() > MAX_KNOWN_HEADS {
            // Forgetting only makes later pushes resend a little; never wrong.
            let excess = entry.len() - MAX_KNOWN_HEADS;
            entry.drain(..excess);
        }
    }

    /// Replaces what the peer is known to have of `owner`'s document.
    pub fn peer_has_exactly(&mut self, owner: MemberId, heads: Vec<[u8; 32]>) {
        self.known.get_or_insert_with(HashMap::new).insert(owner, heads);
    }
}

/// Byte and document counters of a session.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub docs_in: usize,
    pub docs_out: usize,
    pub messages_in: usize,
    pub messages_out: usize,
}

impl Counters {
    pub fn since(&self, base: &Counters) -> Counters {
        Counters {
            bytes_in: self.bytes_in - base.bytes_in,
            bytes_out: self.bytes_out - base.bytes_out,
            docs_in: self.docs_in - base.docs_in,
            docs_out: self.docs_out - base.docs_out,
            messages_in: self.messages_in - base.messages_in,
            messages_out: self.messages_out - base.messages_out,
        }
    }
}

/// What one sync round with a peer achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Both sides hold the same documents of every neighbourhood they share (that the peer may
    /// see): false when something could not be exchanged (refused or revoked data).
    pub converged: bool,
    /// Documents received and stored.
    pub docs_received: usize,
    /// Documents sent.
    pub docs_sent: usize,
    /// Bytes received in the round.
    pub bytes_received: u64,
    /// Bytes sent in the round.
    pub bytes_sent: u64,
    /// Protocol messages each way in the round (a fresh sync is a few request/answer turns,
    /// plus one message per document).
    pub messages_received: usize,
    /// Protocol messages sent in the round.
    pub messages_sent: usize,
    /// How long the round took.
    pub duration: Duration,
}

/// A sync round in progress: from a seen difference (or a request) until both sides agree.
pub(crate) struct Round {
    pub started: Instant,
    pub base: Counters,
}
