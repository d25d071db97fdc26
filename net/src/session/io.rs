//! The two halves of a sync stream: a reader task that decodes frames (within the global memory
//! budget) and a writer task that sends the frames the session hands it, one at a time.
//!
//! Bounded before trust: until the peer has proven membership of a neighbourhood, a frame larger
//! than [`PRE_AUTH_MAX_FRAME`] is not read (if a proof came before it, it waits, bounded, for the
//! session to judge that proof), and the session checks each message's kind against its state
//! before decoding it (see `Session::admit`). Every chunk of a frame must arrive within [`CHUNK_DEADLINE`], and
//! the shared budget is taken as bytes arrive, so a stalled frame holds only what it actually
//! sent, and not for long.

use crate::wire::{self, Msg, WireError};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use partage::node::PreparedDoc;
use partage::{MemberId, NeighbourhoodId, Node};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

/// Frames up to this size are read without taking from the shared budget.
const SMALL_FRAME: usize = 64 * 1024;
/// Largest frame from a peer that has not proven membership yet (a `Proof` with its chain and
/// admissions fits with room to spare).
pub(crate) const PRE_AUTH_MAX_FRAME: usize = 256 * 1024;
/// Bytes read (and taken from the budget) at a time.
const CHUNK: usize = 64 * 1024;
/// Each chunk of a frame, once its length has arrived, must arrive within this time.
pub const CHUNK_DEADLINE: Duration = Duration::from_secs(10);

/// What the session has made of the peer's proofs so far (published to the reader).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Proofs {
    /// `Proof` messages the session has judged.
    pub handled: u32,
    /// One of them held: the peer is a member of a neighbourhood I am in.
    pub verified: bool,
}

/// A frame body, not decoded yet, holding its share of the inbound budget until it is dropped.
pub(crate) struct Inbound {
    pub body: Vec<u8>,
    pub size: usize,
    pub permit: Option<OwnedSemaphorePermit>,
    /// The whole document in it, checked and loaded while the session handled earlier frames.
    pub prepared: Option<Prepared>,
}

/// A whole document a frame carries, prepared ahead (see `prepare_ahead`).
pub(crate) struct Prepared {
    pub key: (NeighbourhoodId, MemberId),
    pub doc: PreparedDoc,
    /// One of the node's few slots for documents loaded ahead and one of this session's,
    /// held until the step that handles the frame is over.
    pub slot: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

/// What the reader needs to prepare whole documents ahead of the session.
pub(crate) struct Ahead {
    pub node: Node,
    /// Documents loaded ahead and not yet handled, node-wide: each may take up to what the
    /// inflation cap allows, so only a few at once (`PREPARED_AHEAD`).
    pub slots: Arc<Semaphore>,
    /// This session's documents loaded ahead and not yet handled (`PREPARED_AHEAD`).
    pub own: Arc<Semaphore>,
}

/// Whole documents loaded ahead of their sessions at once, node-wide (two cores' worth).
pub(crate) const PREPARED_AHEAD: usize = 2;

/// Reads frames until the stream ends or a frame is bad; the error (if any) is the last item.
/// `verified` is set by the session once the peer has proven membership of a neighbourhood.
/// With a `node`, a whole document in a frame from a proven member is prepared before the
/// frame is queued (`prepare_ahead`): the next document loads while the session stores this one.
pub(crate) async fn read_loop<R: AsyncRead + Unpin>(
    mut r: R,
    max: usize,
    budget: Arc<Semaphore>,
    mut proofs: watch::Receiver<Proofs>,
    tx: mpsc::Sender<Result<Inbound, WireError>>,
    ahead: Option<Ahead>,
) {
    // Proof frames read so far (the session judges them in order).
    let mut proofs_read = 0u32;
    loop {
        let item = read_one(&mut r, max, &budget, &mut proofs, &mut proofs_read).await;
        let stop = !matches!(item, Ok(Some(_)));
        let sent = match item {
            Ok(Some(mut inbound)) => {
                if let Some(ahead) = &ahead
                    && proofs.borrow().verified
                    && inbound.body.first() == Some(&wire::BUNDLE_KIND)
                {
                    inbound.prepared = prepare_ahead(&inbound.body, ahead).await;
                }
                tx.send(Ok(inbound)).await
            }
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
    proofs: &mut watch::Receiver<Proofs>,
    proofs_read: &mut u32,
) -> Result<Option<Inbound>, WireError> {
    let Some(len) = wire::read_len(r, max).await? else {
        return Ok(None);
    };
    if len > PRE_AUTH_MAX_FRAME && !proofs.borrow().verified {
        // A large frame is read only from a proven member. Its proof may be queued ahead of it
        // (the peer verified me first): then wait, a little, for the session to judge it.
        let read = *proofs_read;
        let judged = if read == 0 {
            None
        } else {
            tokio::time::timeout(CHUNK_DEADLINE, proofs.wait_for(|p| p.verified || p.handled >= read))
                .await
                .ok()
                .and_then(Result::ok)
                .map(|p| p.verified)
        };
        if judged != Some(true) {
            return Err(WireError::TooLarge { size: len, max: PRE_AUTH_MAX_FRAME });
        }
    }
    let mut body = Vec::with_capacity(len.min(CHUNK));
    let mut permit: Option<OwnedSemaphorePermit> = None;
    while body.len() < len {
        let want = (len - body.len()).min(CHUNK);
        if len > SMALL_FRAME {
            // Taken as bytes arrive: a frame that stalls holds only what it sent.
            let n = u32::try_from(want).map_err(|_| WireError::TooLarge { size: len, max })?;
            let more = tokio::time::timeout(CHUNK_DEADLINE, budget.clone().acquire_many_owned(n))
                .await
                .map_err(|_| WireError::Stalled)?
                .map_err(|_| WireError::Truncated)?;
            match permit.as_mut() {
                Some(p) => p.merge(more),
                None => permit = Some(more),
            }
        }
        let before = body.len();
        let mut chunk = (&mut *r).take(want as u64);
        tokio::time::timeout(CHUNK_DEADLINE, chunk.read_to_end(&mut body))
            .await
            .map_err(|_| WireError::Stalled)??;
        if body.len() - before != want {
            return Err(WireError::Truncated);
        }
    }
    if body.first() == Some(&wire::PROOF_KIND) {
        *proofs_read = proofs_read.saturating_add(1);
    }
    Ok(Some(Inbound { body, size: len + wire::PREFIX, permit, prepared: None }))
}

/// The whole document a `Bundle` frame answering a want carries, checked and loaded on a
/// blocking thread (`Node::prepare_whole_documents`: the owner's chain, the snapshot's cap, the
/// heads' signatures, then automerge's load); `None` for anything else. What the session does
/// with the frame is decided there as before: a prepared document it does not import is dropped
/// with the step, and one it imports is used only if it still fits
/// (`Node::import_prepared_unflushed`).
async fn prepare_ahead(body: &[u8], ahead: &Ahead) -> Option<Prepared> {
    let Ok(Msg::Bundle { answer: true, bundle }) = wire::decode(body) else { return None };
    let bundle = bundle.whole_document()?;
    // This session's own slots are held by the frames before this one (the one being stored,
    // the one prepared next) and come free as the session stores them: waiting for one keeps the
    // pipeline full, where going on would leave this document to be loaded under the node's
    // lock, and costs the session nothing (it is busy with those frames). The node-wide slots
    // are not waited for: other sessions, perhaps a hostile member's, may hold them; without
    // one the session imports the frame the usual way.
    let own = ahead.own.clone().acquire_owned().await.ok()?;
    let slot = (ahead.slots.clone().try_acquire_owned().ok()?, own);
    let node = ahead.node.clone();
    tokio::task::spawn_blocking(move || {
        let doc = node.prepare_whole_documents(&[&bundle]).pop().flatten()?;
        Some(Prepared { key: (bundle.neighbourhood, bundle.owner), doc, slot })
    })
    .await
    .ok()
    .flatten()
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

#[cfg(test)]
mod prepare_ahead_tests;
