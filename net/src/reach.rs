//! `/partage/reach/1`: a home node tells a member which other members it can reach through it
//! (ADR 0019). Two phones behind NAT never see each other's transport key (ADR 0016), so the
//! home node, where both hold a reservation, names them to each other; each then dials the other
//! through the relay and proves itself in a session as over any connection.
//!
//! One frame per stream: a count (u16, big-endian) then, per peer, a length byte and the peer
//! id's bytes. Only a verified home node is listened to, and only members sharing a
//! neighbourhood are named to each other.

use crate::error::NetError;
use libp2p::{PeerId, StreamProtocol};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub(crate) const PROTOCOL: StreamProtocol = StreamProtocol::new("/partage/reach/1");
/// Peers named in one frame, at most (a home node serves a neighbourhood, not the internet).
pub(crate) const MAX_NAMED: usize = 64;
/// A peer id's bytes (an ed25519 key's identity multihash is 38), at most.
const MAX_PEER_ID_BYTES: usize = 64;
const MAX_FRAME: usize = 2 + MAX_NAMED * (1 + MAX_PEER_ID_BYTES);

/// The frame naming `peers` (the first [`MAX_NAMED`]).
pub(crate) fn encode(peers: &[PeerId]) -> Vec<u8> {
    let named: Vec<Vec<u8>> =
        peers.iter().map(|p| p.to_bytes()).filter(|b| b.len() <= MAX_PEER_ID_BYTES).take(MAX_NAMED).collect();
    let mut frame = Vec::with_capacity(2 + named.iter().map(|b| 1 + b.len()).sum::<usize>());
    // (At most MAX_NAMED, far below u16::MAX.)
    frame.extend_from_slice(&u16::try_from(named.len()).unwrap_or(0).to_be_bytes());
    for bytes in named {
        frame.push(u8::try_from(bytes.len()).unwrap_or(0));
        frame.extend_from_slice(&bytes);
    }
    frame
}

/// Why a reach frame was refused.
#[derive(Debug, thiserror::Error)]
#[error("a home node's list of reachable members is malformed: {0}")]
pub(crate) struct BadFrame(&'static str);

/// The peers a frame names; anything malformed or over the bounds is refused whole.
pub(crate) fn decode(frame: &[u8]) -> Result<Vec<PeerId>, BadFrame> {
    let bad = BadFrame;
    let (count, mut rest) = match frame {
        [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), rest),
        _ => return Err(bad("too short")),
    };
    if count > MAX_NAMED {
        return Err(bad("names too many peers"));
    }
    let mut peers = Vec::with_capacity(count);
    for _ in 0..count {
        let [len, tail @ ..] = rest else { return Err(bad("cut short")) };
        let len = usize::from(*len);
        if len > MAX_PEER_ID_BYTES || tail.len() < len {
            return Err(bad("a peer id is cut short or too long"));
        }
        let (id, tail) = tail.split_at(len);
        peers.push(PeerId::from_bytes(id).map_err(|_| bad("not a peer id"))?);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad("bytes after the last peer"));
    }
    Ok(peers)
}

/// Sends one frame to `to`.
pub(crate) async fn send(control: libp2p_stream::Control, to: PeerId, peers: Vec<PeerId>) {
    crate::one_frame::send(control, to, PROTOCOL, encode(&peers)).await;
}

/// Takes inbound frames and hands them to the event loop, which decides whether to listen to
/// the sender.
pub(crate) fn accept(
    control: &mut libp2p_stream::Control,
    to_loop: mpsc::Sender<(PeerId, Vec<PeerId>)>,
    tasks: &mut JoinSet<()>,
) -> Result<(), NetError> {
    crate::one_frame::accept(control, PROTOCOL, MAX_FRAME, |f| decode(f).ok(), to_loop, tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_and_hostile_frames_are_refused() {
        let peers: Vec<PeerId> = (0..3).map(|_| PeerId::random()).collect();
        assert_eq!(decode(&encode(&peers)).ok(), Some(peers.clone()));
        assert_eq!(decode(&encode(&[])).ok(), Some(vec![]));
        let frame = encode(&peers);
        assert!(decode(&frame[..frame.len() - 1]).is_err(), "cut short");
        assert!(decode(&[frame.clone(), vec![0]].concat()).is_err(), "trailing bytes");
        assert!(decode(&[0xff, 0xff]).is_err(), "too many named");
        assert!(decode(&[0, 1, 3, 1, 2, 3]).is_err(), "not a peer id");
        assert!(decode(&[0]).is_err(), "too short");
        let many: Vec<PeerId> = (0..MAX_NAMED + 5).map(|_| PeerId::random()).collect();
        assert_eq!(decode(&encode(&many)).map(|p| p.len()).ok(), Some(MAX_NAMED));
        assert!(encode(&many).len() <= MAX_FRAME);
    }
}
