//! Small side protocols that carry one bounded frame per stream (`crate::reach`,
//! `crate::home_hints`): the sender opens a stream, writes, closes; the receiver reads at most a
//! frame's bytes within a deadline, a few at a time, and hands what decodes to the event loop.

use crate::error::NetError;
use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::{PeerId, StreamProtocol};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

/// A frame must arrive within this after the stream opens (and a send gives up after it).
const DEADLINE: Duration = Duration::from_secs(10);
/// Frames read at once, per protocol; streams beyond are dropped unread.
const MAX_READING: usize = 4;

/// Sends `frame` to `to` on `protocol`.
pub(crate) async fn send(
    mut control: libp2p_stream::Control,
    to: PeerId,
    protocol: StreamProtocol,
    frame: Vec<u8>,
) {
    let sent = tokio::time::timeout(DEADLINE, async {
        let mut stream = control.open_stream(to, protocol).await.map_err(|e| e.to_string())?;
        stream.write_all(&frame).await.map_err(|e| e.to_string())?;
        stream.close().await.map_err(|e| e.to_string())
    })
    .await;
    if !matches!(sent, Ok(Ok(()))) {
        crate::trace!("a frame to {to} was not sent: {sent:?}");
    }
}

/// Takes inbound frames of `protocol` (at most `max_frame` bytes), and hands the peer and what
/// `decode` makes of each to the event loop; a frame that does not decode is dropped.
pub(crate) fn accept<T: Send + 'static>(
    control: &mut libp2p_stream::Control,
    protocol: StreamProtocol,
    max_frame: usize,
    decode: fn(&[u8]) -> Option<T>,
    to_loop: mpsc::Sender<(PeerId, T)>,
    tasks: &mut JoinSet<()>,
) -> Result<(), NetError> {
    let reading = Arc::new(Semaphore::new(MAX_READING));
    crate::accept::accept_streams(
        control,
        protocol,
        "a one-frame message",
        DEADLINE,
        tasks,
        move |_| reading.clone().try_acquire_owned().ok(),
        move |peer, mut stream| {
            let to_loop = to_loop.clone();
            async move {
                let mut frame = Vec::new();
                (&mut stream)
                    .take(max_frame as u64 + 1)
                    .read_to_end(&mut frame)
                    .await
                    .map_err(|e| e.to_string())?;
                if frame.len() > max_frame {
                    return Err("frame too large".to_string());
                }
                if let Some(value) = decode(&frame) {
                    let _ = to_loop.send((peer, value)).await;
                }
                Ok(())
            }
        },
    )
}
