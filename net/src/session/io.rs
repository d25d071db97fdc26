//! The two halves of a sync stream: a reader task that decodes frames (within the global memory
//! budget) and a writer task that sends the frames the session hands it, one at a time.

use crate::wire::{self, Msg, WireError};
use futures::{AsyncRead, AsyncWrite, AsyncWriteExt};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Frames up to this size are read without taking from the shared budget.
const SMALL_FRAME: usize = 64 * 1024;

/// A decoded message, holding its share of the inbound budget until it is dropped.
pub(crate) struct Inbound {
    pub msg: Msg,
    pub size: usize,
    _permit: Option<OwnedSemaphorePermit>,
}

/// Reads frames until the stream ends or a frame is bad; the error (if any) is the last item.
pub(crate) async fn read_loop<R: AsyncRead + Unpin>(
    mut r: R,
    max: usize,
    budget: Arc<Semaphore>,
    tx: mpsc::Sender<Result<Inbound, WireError>>,
) {
    loop {
        let item = read_one(&mut r, max, &budget).await;
        let stop = !matches!(item, Ok(Some(_)));
        let sent = match item {
            Ok(Some(inbound)) => tx.send(Ok(inbound)).await,
            Ok(None) => return,
            Err(e) => tx.send(Err(e)).await,
        };
        if stop || sent.is_err() {
            return;
        }
    }
}

async fn read_one<R: AsyncRead + Unpin>(
    r: &mut R,
    max: usize,
    budget: &Arc<Semaphore>,
) -> Result<Option<Inbound>, WireError> {
    let Some(len) = wire::read_len(r, max).await? else {
        return Ok(None);
    };
    let permit = if len > SMALL_FRAME {
        let permits = u32::try_from(len).map_err(|_| WireError::TooLarge { size: len, max })?;
        let permit = budget.clone().acquire_many_owned(permits).await.map_err(|_| WireError::Truncated)?;
        Some(permit)
    } else {
        None
    };
    let body = wire::read_body(r, len).await?;
    let msg = wire::decode(&body)?;
    Ok(Some(Inbound { msg, size: len + wire::PREFIX, _permit: permit }))
}

/// Writes frames in order, flushing each (a push must leave at once), then closes the stream.
pub(crate) async fn write_loop<W: AsyncWrite + Unpin>(mut w: W, mut rx: mpsc::Receiver<Vec<u8>>) {
    while let Some(frame) = rx.recv().await {
        if w.write_all(&frame).await.is_err() || w.flush().await.is_err() {
            return;
        }
    }
    let _ = w.close().await;
}
