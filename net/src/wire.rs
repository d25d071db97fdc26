//! The `/partage/sync/3` messages and their framing: a 4-byte big-endian length, then the
//! postcard-encoded [`Msg`]. Every frame is checked against a hard size limit before it is read,
//! and every list in a decoded message against its own limit before it is used.

use futures::{AsyncRead, AsyncReadExt};
use partage::admission::Admission;
use partage::attest::Attestation;
use partage::identity::{DeviceCert, DeviceRevocation};
use partage::membership::{Chain, Revocation};
use partage::node::MembershipProof;
use partage::session_binding::BindingSignature;
use partage::sync::wire::WirePayload;
use partage::{MemberId, NeighbourhoodId};
use serde::{Deserialize, Serialize};

/// Neighbourhoods offered in one `Hello`.
pub const MAX_NEIGHBOURHOODS: usize = 64;
/// Member documents listed in one `Summary`.
pub const MAX_DOCS: usize = 4096;
/// Heads of one document (concurrent branches) in a `Want`.
pub const MAX_HEADS: usize = partage::node::MAX_DOC_HEADS;
/// Revocations in one `Summary`.
pub const MAX_REVOCATIONS: usize = 4096;
/// Device certificates or attestations in one bundle.
pub const MAX_CERTS: usize = partage::node::MAX_MEMBER_DEVICES;
/// Length of a refusal reason.
pub const MAX_REASON: usize = 512;
/// Bytes of the length prefix.
pub const PREFIX: usize = 4;

/// One message of the sync protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// What I have: per neighbourhood, a tag only its members can compute and a digest of my
    /// documents (both keyed by the neighbourhood id and this session). `reply` asks the peer
    /// to answer with its own `Hello`.
    Hello {
        /// Whether the peer should answer with its own `Hello`.
        reply: bool,
        /// One entry per neighbourhood offered (at most [`MAX_NEIGHBOURHOODS`]).
        entries: Vec<HelloEntry>,
    },
    /// My membership of `ns`, for a peer whose tag matched.
    Proof {
        /// The neighbourhood.
        ns: NeighbourhoodId,
        /// The proof.
        proof: WireProof,
    },
    /// Your proof of `ns` was refused: you get nothing of it.
    Denied {
        /// The neighbourhood.
        ns: NeighbourhoodId,
        /// Why, in words (at most [`MAX_REASON`] bytes).
        reason: String,
    },
    /// The documents I hold in `ns` (hash of heads each) and the revocations I know.
    Summary {
        /// The neighbourhood.
        ns: NeighbourhoodId,
        /// Each document held, with a hash of its heads (at most [`MAX_DOCS`]).
        docs: Vec<DocHash>,
        /// The neighbourhood's revocations known (at most [`MAX_REVOCATIONS`]).
        revocations: Vec<Revocation>,
    },
    /// Send me what you have of `owner`'s document beyond `heads` (empty: all of it).
    Want {
        /// The neighbourhood.
        ns: NeighbourhoodId,
        /// The document's owner.
        owner: MemberId,
        /// The heads the sender has (at most [`MAX_HEADS`]).
        heads: Vec<[u8; 32]>,
    },
    /// A document or changes to it: the answer to a `Want`, or a live push.
    Bundle {
        /// Whether it answers a `Want` (otherwise a live push).
        answer: bool,
        /// The document or changes.
        bundle: WireBundle,
    },
    /// The answer to a `Want` when I have nothing newer.
    NoChange {
        /// The neighbourhood.
        ns: NeighbourhoodId,
        /// The document's owner.
        owner: MemberId,
    },
    /// The answer to a `Want` whose heads I do not all have: you are ahead (or we diverged);
    /// these are my heads.
    Ahead {
        /// The neighbourhood.
        ns: NeighbourhoodId,
        /// The document's owner.
        owner: MemberId,
        /// The sender's heads (at most [`MAX_HEADS`]).
        heads: Vec<[u8; 32]>,
    },
    /// My digest of `ns` now; `ack` when it answers a push.
    Status {
        /// The neighbourhood.
        ns: NeighbourhoodId,
        /// The sender's digest of its documents in `ns`.
        digest: [u8; 32],
        /// Whether it acknowledges a push.
        ack: bool,
    },
}

/// One neighbourhood offered in a `Hello`, without naming it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloEntry {
    /// A tag only the neighbourhood's members can compute (keyed by its shared secret, bound to
    /// this session and its sender: ADR 0013).
    pub tag: [u8; 32],
    /// A digest of the sender's documents in it.
    pub digest: [u8; 32],
}

/// One document in a `Summary`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHash {
    /// The document's owner.
    pub owner: MemberId,
    /// A hash of the document's heads.
    pub heads: [u8; 32],
}

/// A membership proof as sent (mirrors [`MembershipProof`]; its own struct so that a field added
/// to the core type does not change the protocol: see the golden frames in `tests/golden`),
/// with the device's signature over this session's binding: the peer id is only a transport
/// key, this is what names the device (ADR 0016).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireProof {
    /// The member's proof of membership.
    pub chain: Chain,
    /// The certificate of the device presenting it.
    pub device: DeviceCert,
    /// Admissions that confirm the chain's members.
    pub admissions: Vec<Admission>,
    /// The device's signature over this session's binding.
    pub binding: BindingSignature,
}

impl WireProof {
    /// The wire form of `p`, with the session's binding signature.
    pub fn new(p: MembershipProof, binding: BindingSignature) -> Self {
        WireProof { chain: p.chain, device: p.device, admissions: p.admissions, binding }
    }

    /// The core's proof, and the binding signature that came with it.
    pub fn into_parts(self) -> (MembershipProof, BindingSignature) {
        (
            MembershipProof { chain: self.chain, device: self.device, admissions: self.admissions },
            self.binding,
        )
    }
}

/// A `partage::DocBundle` as sent: the owner's chain is left out when the receiver already holds
/// the document (it has the chain), device certificates are limited to the signers, and
/// revocations travel in `Summary` instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireBundle {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// The document's owner.
    pub owner: MemberId,
    /// The owner's proof of membership; `None` when the receiver already holds the document.
    pub owner_chain: Option<Chain>,
    /// The admissions that confirm the owner (sent with the chain).
    pub owner_admissions: Vec<Admission>,
    /// Devices the owner revoked.
    pub device_revocations: Vec<DeviceRevocation>,
    /// The certificates of the devices that signed the payload's heads.
    pub devices: Vec<DeviceCert>,
    /// The core's own exchange format for document contents (bounded decoding of changes).
    pub payload: WirePayload,
    /// Attestations of the payload's heads.
    pub attestations: Vec<Attestation>,
}

impl WireBundle {
    /// The core's bundle, with the owner's chain (the one sent, or the receiver's own).
    pub fn with_chain(self, owner_chain: Chain) -> partage::DocBundle {
        partage::DocBundle {
            neighbourhood: self.neighbourhood,
            owner: self.owner,
            owner_chain,
            owner_admissions: self.owner_admissions,
            device_revocations: self.device_revocations,
            devices: self.devices,
            revocations: Vec::new(),
            payload: self.payload.into(),
            attestations: self.attestations,
        }
    }

    /// The core's bundle if this is a whole document sent with its owner's chain (what a
    /// member who holds nothing of it can check and load before importing it).
    pub fn whole_document(mut self) -> Option<partage::DocBundle> {
        if !matches!(self.payload, WirePayload::Snapshot(_)) {
            return None;
        }
        let chain = self.owner_chain.take()?;
        Some(self.with_chain(chain))
    }
}

/// Why a frame could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// A frame longer than allowed.
    #[error("message too large ({size} bytes, at most {max})")]
    TooLarge {
        /// The frame's length, in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A frame that does not decode as a message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A list in a message longer than its limit.
    #[error("message exceeds a limit: {what} ({count}, at most {max})")]
    Limit {
        /// Which list.
        what: &'static str,
        /// Its length.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The stream ended inside a frame.
    #[error("connection closed in the middle of a message")]
    Truncated,
    /// Nothing arrived for too long inside a frame.
    #[error("a message stalled half-way (nothing arrived for too long)")]
    Stalled,
    /// A message (its name) that needs a proven membership came before the proof.
    #[error("sent a {0} before proving membership")]
    BeforeProof(&'static str),
    /// The connection failed.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
}

impl WireError {
    /// Whether the peer is to blame (as opposed to the connection dropping).
    pub fn is_misbehaviour(&self) -> bool {
        matches!(
            self,
            WireError::TooLarge { .. }
                | WireError::Malformed(_)
                | WireError::Limit { .. }
                | WireError::BeforeProof(_)
        )
    }
}

fn limit(what: &'static str, count: usize, max: usize) -> Result<(), WireError> {
    if count > max { Err(WireError::Limit { what, count, max }) } else { Ok(()) }
}

impl Msg {
    /// Checks every list against its limit.
    pub fn validate(&self) -> Result<(), WireError> {
        match self {
            Msg::Hello { entries, .. } => limit("neighbourhoods", entries.len(), MAX_NEIGHBOURHOODS),
            Msg::Proof { proof, .. } => {
                limit("certificates", proof.chain.len(), MAX_CERTS)?;
                limit("admissions", proof.admissions.len(), partage::admission::MAX_CARRIED_ADMISSIONS)
            }
            Msg::Denied { reason, .. } => limit("reason length", reason.len(), MAX_REASON),
            Msg::Summary { docs, revocations, .. } => {
                limit("documents", docs.len(), MAX_DOCS)?;
                limit("revocations", revocations.len(), MAX_REVOCATIONS)
            }
            Msg::Want { heads, .. } | Msg::Ahead { heads, .. } => limit("heads", heads.len(), MAX_HEADS),
            Msg::Bundle { bundle, .. } => {
                limit("device certificates", bundle.devices.len(), MAX_CERTS)?;
                limit("attestations", bundle.attestations.len(), MAX_CERTS)?;
                limit("certificates", bundle.owner_chain.as_ref().map_or(0, Vec::len), MAX_CERTS)?;
                limit(
                    "admissions",
                    bundle.owner_admissions.len(),
                    partage::admission::MAX_CARRIED_ADMISSIONS,
                )?;
                limit(
                    "device revocations",
                    bundle.device_revocations.len(),
                    partage::node::MAX_DEVICE_REVOCATIONS,
                )
            }
            Msg::NoChange { .. } | Msg::Status { .. } => Ok(()),
        }
    }

    /// Short name, for messages and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Msg::Hello { .. } => "hello",
            Msg::Proof { .. } => "proof",
            Msg::Denied { .. } => "denied",
            Msg::Summary { .. } => "summary",
            Msg::Want { .. } => "want",
            Msg::Bundle { .. } => "bundle",
            Msg::NoChange { .. } => "no-change",
            Msg::Ahead { .. } => "ahead",
            Msg::Status { .. } => "status",
        }
    }
}

/// One frame: length prefix and encoded message.
pub fn encode(msg: &Msg, max: usize) -> Result<Vec<u8>, WireError> {
    let mut out = vec![0u8; PREFIX];
    out = postcard::to_extend(msg, out).map_err(|e| WireError::Malformed(e.to_string()))?;
    let len = out.len() - PREFIX;
    if len > max {
        return Err(WireError::TooLarge { size: len, max });
    }
    let len32 = u32::try_from(len).map_err(|_| WireError::TooLarge { size: len, max })?;
    if let Some(prefix) = out.first_chunk_mut::<PREFIX>() {
        *prefix = len32.to_be_bytes();
    }
    Ok(out)
}

/// Reads the length of the next frame; `None` at a clean end of stream.
pub async fn read_len<R: AsyncRead + Unpin>(r: &mut R, max: usize) -> Result<Option<usize>, WireError> {
    let mut prefix = [0u8; PREFIX];
    let mut got = 0;
    while let Some(rest) = prefix.get_mut(got..).filter(|rest| !rest.is_empty()) {
        let n = r.read(rest).await?;
        if n == 0 {
            return if got == 0 { Ok(None) } else { Err(WireError::Truncated) };
        }
        got += n;
    }
    let len = u32::from_be_bytes(prefix) as usize;
    if len > max {
        return Err(WireError::TooLarge { size: len, max });
    }
    Ok(Some(len))
}

/// Reads a frame body of `len` bytes; memory grows only as bytes actually arrive.
pub async fn read_body<R: AsyncRead + Unpin>(r: &mut R, len: usize) -> Result<Vec<u8>, WireError> {
    let mut body = Vec::with_capacity(len.min(64 * 1024));
    r.take(len as u64).read_to_end(&mut body).await?;
    if body.len() != len {
        return Err(WireError::Truncated);
    }
    Ok(body)
}

/// Message kinds (postcard variant indices of [`Msg`]) a peer may send before it has proven
/// membership: `Hello`, `Proof`, `Denied`. Checked on the first byte, before decoding.
const PRE_AUTH_KINDS: [(u8, &str); 3] = [(0, "hello"), (PROOF_KIND, "proof"), (2, "denied")];
/// Postcard variant index of [`Msg::Proof`]: the first byte of its body.
pub const PROOF_KIND: u8 = 1;
/// Postcard variant index of [`Msg::Bundle`].
pub const BUNDLE_KIND: u8 = 5;
const KIND_NAMES: [&str; 9] =
    ["hello", "proof", "denied", "summary", "want", "bundle", "no-change", "ahead", "status"];

/// Refuses a frame body whose message kind a peer may not send before proving membership.
pub fn check_pre_auth_kind(body: &[u8]) -> Result<(), WireError> {
    let kind = body.first().copied().ok_or_else(|| WireError::Malformed("empty message".into()))?;
    if PRE_AUTH_KINDS.iter().any(|(k, _)| *k == kind) {
        return Ok(());
    }
    match KIND_NAMES.get(usize::from(kind)) {
        Some(name) => Err(WireError::BeforeProof(name)),
        None => Err(WireError::Malformed(format!("unknown message kind {kind}"))),
    }
}

/// Decodes and validates one message body.
pub fn decode(body: &[u8]) -> Result<Msg, WireError> {
    let msg: Msg = postcard::from_bytes(body).map_err(|e| WireError::Malformed(e.to_string()))?;
    msg.validate()?;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Msg {
        Msg::Status { ns: NeighbourhoodId([1; 32]), digest: [2; 32], ack: false }
    }

    #[tokio::test]
    async fn frames_round_trip() {
        let frame = encode(&status(), 1024).unwrap();
        let mut r = futures::io::Cursor::new(frame);
        let len = read_len(&mut r, 1024).await.unwrap().unwrap();
        let body = read_body(&mut r, len).await.unwrap();
        assert_eq!(decode(&body).unwrap(), status());
        assert!(read_len(&mut r, 1024).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oversized_truncated_and_garbage_frames_are_errors() {
        let mut r = futures::io::Cursor::new(u32::MAX.to_be_bytes().to_vec());
        assert!(matches!(read_len(&mut r, 1024).await, Err(WireError::TooLarge { .. })));
        let mut r = futures::io::Cursor::new(vec![0, 0]);
        assert!(matches!(read_len(&mut r, 1024).await, Err(WireError::Truncated)));
        let mut r = futures::io::Cursor::new(vec![1, 2, 3]);
        assert!(matches!(read_body(&mut r, 10).await, Err(WireError::Truncated)));
        assert!(decode(&[0xff, 0xff, 0xff]).unwrap_err().is_misbehaviour());
        assert!(matches!(encode(&status(), 8), Err(WireError::TooLarge { .. })));
    }

    #[test]
    fn kinds_before_a_proof_are_checked_on_the_first_byte() {
        let hello = postcard::to_allocvec(&Msg::Hello { reply: false, entries: vec![] }).unwrap();
        assert!(check_pre_auth_kind(&hello).is_ok());
        let body = postcard::to_allocvec(&status()).unwrap();
        assert!(matches!(check_pre_auth_kind(&body), Err(WireError::BeforeProof("status"))));
        // The variant indices the check relies on.
        let names: Vec<&str> = [
            Msg::Hello { reply: false, entries: vec![] },
            Msg::Denied { ns: NeighbourhoodId([0; 32]), reason: String::new() },
            Msg::NoChange { ns: NeighbourhoodId([0; 32]), owner: MemberId([0; 32]) },
            status(),
        ]
        .iter()
        .map(|m| {
            let b = postcard::to_allocvec(m).unwrap();
            KIND_NAMES[usize::from(b[0])]
        })
        .collect();
        assert_eq!(names, ["hello", "denied", "no-change", "status"]);
        let device = partage::identity::DeviceCert {
            member: MemberId([0; 32]),
            device: partage::DeviceId([0; 32]),
            issued_at: 0,
            sig: [0; 64],
        };
        let binding = partage::session_binding::BindingSignature([0; 64]);
        let proof = WireProof { chain: vec![], device, admissions: vec![], binding };
        let body = postcard::to_allocvec(&Msg::Proof { ns: NeighbourhoodId([0; 32]), proof }).unwrap();
        assert_eq!(body[0], PROOF_KIND);
        assert!(check_pre_auth_kind(&[]).is_err());
    }

    #[test]
    fn lists_over_their_limit_are_refused() {
        let entries = vec![HelloEntry { tag: [0; 32], digest: [0; 32] }; MAX_NEIGHBOURHOODS + 1];
        let body = postcard::to_allocvec(&Msg::Hello { reply: false, entries }).unwrap();
        assert!(matches!(decode(&body), Err(WireError::Limit { what: "neighbourhoods", .. })));
    }
}
