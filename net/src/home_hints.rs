//! `/partage/home-hints/1`: a member tells another member where the home nodes of the
//! neighbourhoods they share are (ADR 0019), so that a member who joined before a home node
//! existed, or never dialed it, learns it from sync. The receiver dials each address; a home node
//! counts only once it proves membership there, like any peer.
//!
//! One frame per stream: a count byte, then per address a length byte and the multiaddr's bytes.

use crate::error::NetError;
use libp2p::{Multiaddr, PeerId, StreamProtocol};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub(crate) const PROTOCOL: StreamProtocol = StreamProtocol::new("/partage/home-hints/1");
/// Addresses in one frame, at most (what one invite carries).
pub(crate) const MAX_HINTS: usize = partage::node::MAX_HOME_NODE_ADDRS;
const MAX_ADDR_BYTES: usize = 255;
const MAX_FRAME: usize = 1 + MAX_HINTS * (1 + MAX_ADDR_BYTES);

/// Why a frame was refused.
#[derive(Debug, thiserror::Error)]
#[error("a member's list of home nodes is malformed: {0}")]
pub(crate) struct BadHints(&'static str);

pub(crate) fn encode(addrs: &[Multiaddr]) -> Vec<u8> {
    let kept: Vec<Vec<u8>> =
        addrs.iter().map(|a| a.to_vec()).filter(|b| b.len() <= MAX_ADDR_BYTES).take(MAX_HINTS).collect();
    let mut frame = vec![u8::try_from(kept.len()).unwrap_or(0)];
    for bytes in kept {
        frame.push(u8::try_from(bytes.len()).unwrap_or(0));
        frame.extend_from_slice(&bytes);
    }
    frame
}

pub(crate) fn decode(frame: &[u8]) -> Result<Vec<Multiaddr>, BadHints> {
    let [count, rest @ ..] = frame else { return Err(BadHints("empty")) };
    let (count, mut rest) = (usize::from(*count), rest);
    if count > MAX_HINTS {
        return Err(BadHints("too many addresses"));
    }
    let mut addrs = Vec::with_capacity(count);
    for _ in 0..count {
        let [len, tail @ ..] = rest else { return Err(BadHints("cut short")) };
        let len = usize::from(*len);
        if tail.len() < len {
            return Err(BadHints("an address is cut short"));
        }
        let (bytes, tail) = tail.split_at(len);
        addrs.push(Multiaddr::try_from(bytes.to_vec()).map_err(|_| BadHints("not an address"))?);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(BadHints("bytes after the last address"));
    }
    Ok(addrs)
}

/// Sends one frame to `to`.
pub(crate) async fn send(control: libp2p_stream::Control, to: PeerId, addrs: Vec<Multiaddr>) {
    crate::one_frame::send(control, to, PROTOCOL, encode(&addrs)).await;
}

/// Takes inbound frames and hands them to the event loop, which decides whether to listen to
/// the sender.
pub(crate) fn accept(
    control: &mut libp2p_stream::Control,
    to_loop: mpsc::Sender<(PeerId, Vec<Multiaddr>)>,
    tasks: &mut JoinSet<()>,
) -> Result<(), NetError> {
    crate::one_frame::accept(control, PROTOCOL, MAX_FRAME, |f| decode(f).ok(), to_loop, tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_round_trip_and_hostile_frames_are_refused() {
        let addrs: Vec<Multiaddr> = ["/ip4/10.0.0.1/tcp/4001", "/ip4/192.0.2.7/udp/4001/quic-v1"]
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect();
        assert_eq!(decode(&encode(&addrs)).ok(), Some(addrs.clone()));
        let frame = encode(&addrs);
        assert!(decode(&frame[..frame.len() - 1]).is_err(), "cut short");
        assert!(decode(&[frame.clone(), vec![0]].concat()).is_err(), "trailing bytes");
        assert!(decode(&[200]).is_err(), "too many");
        assert!(decode(&[1, 2, 0xff, 0xff]).is_err(), "not an address");
        assert!(decode(&[]).is_err(), "empty");
        let many: Vec<Multiaddr> =
            (0..10).filter_map(|i| format!("/ip4/10.0.0.{i}/tcp/1").parse().ok()).collect();
        assert_eq!(decode(&encode(&many)).map(|a| a.len()).ok(), Some(MAX_HINTS));
    }
}
