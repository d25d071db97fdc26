//! Serving blobs: to members only, a few at a time, each request small and quick to arrive.

use super::access::BlobAccess;
use super::wire::{
    BlobHeader, BlobRequest, CHUNK_BYTES, MAX_HASHES_PER_REQUEST, MAX_REQUEST_BYTES, VERSION, protocol,
    read_frame_into, write_frame,
};
use crate::error::NetError;
use futures::AsyncWriteExt;
use libp2p::{PeerId, Stream};
use partage::photo::BlobHash;
use partage::{NeighbourhoodId, Node};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Requests served at once, from all peers.
const MAX_SERVING: usize = 8;
/// Requests served at once to one peer.
const MAX_SERVING_PER_PEER: usize = 2;
/// The request must arrive within this after the stream opens.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// One request's answer (a page of thumbnails or one original), at most.
const SERVE_DEADLINE: Duration = Duration::from_secs(120);

/// Takes inbound blob streams; those of strangers and those over the caps are dropped at once.
pub(crate) fn serve_blobs(
    control: &mut libp2p_stream::Control,
    node: Node,
    access: BlobAccess,
    tasks: &mut JoinSet<()>,
) -> Result<(), NetError> {
    let slots = Arc::new(Semaphore::new(MAX_SERVING));
    let per_peer: Arc<Mutex<HashMap<PeerId, usize>>> = Arc::default();
    let admitting = access.clone();
    let admit = move |peer: &PeerId| {
        // Strangers are turned away before anything is read.
        if !admitting.has_session(peer) {
            return None;
        }
        let permit = slots.clone().try_acquire_owned().ok()?;
        Some((permit, PeerSlot::take(&per_peer, *peer)?))
    };
    let answer = move |peer, stream| serve(node.clone(), access.clone(), peer, stream);
    crate::accept::accept_streams(control, protocol(), "blob request", SERVE_DEADLINE, tasks, admit, answer)
}

/// One of a peer's serving slots, given back on drop.
struct PeerSlot {
    counts: Arc<Mutex<HashMap<PeerId, usize>>>,
    peer: PeerId,
}

impl PeerSlot {
    fn take(counts: &Arc<Mutex<HashMap<PeerId, usize>>>, peer: PeerId) -> Option<PeerSlot> {
        let mut c = counts.lock().ok()?;
        let n = c.entry(peer).or_default();
        if *n >= MAX_SERVING_PER_PEER {
            return None;
        }
        *n += 1;
        Some(PeerSlot { counts: counts.clone(), peer })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        if let Ok(mut c) = self.counts.lock()
            && let Some(n) = c.get_mut(&self.peer)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.remove(&self.peer);
            }
        }
    }
}

async fn serve(node: Node, access: BlobAccess, peer: PeerId, mut stream: Stream) -> Result<(), String> {
    let mut buf = Vec::new();
    tokio::time::timeout(REQUEST_DEADLINE, read_frame_into(&mut stream, MAX_REQUEST_BYTES, &mut buf))
        .await
        .map_err(|_| "no request in time".to_string())??;
    let request: BlobRequest = postcard::from_bytes(&buf).map_err(|_| "not a blob request".to_string())?;
    let ns = NeighbourhoodId(request.neighbourhood);
    if request.version != VERSION || request.hashes.len() > MAX_HASHES_PER_REQUEST {
        return Ok(());
    }
    // Not a member of that neighbourhood (proven in this session): no answer at all, not even
    // "not here".
    if !access.allowed(&peer, &ns) {
        return Ok(());
    }
    let hashes: Vec<BlobHash> = request.hashes.into_iter().map(BlobHash).collect();
    // One look at the items and one read for the whole request (at most 64 x 48 KiB, or one
    // original of at most 4 MiB).
    let blobs = tokio::task::spawn_blocking(move || node.blobs_for_member(&ns, &hashes))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    for blob in blobs {
        let header = BlobHeader { present: blob.is_some(), len: blob.as_ref().map_or(0, |b| b.len() as u64) };
        let header = postcard::to_allocvec(&header).map_err(|e| e.to_string())?;
        write_frame(&mut stream, &header).await.map_err(|e| e.to_string())?;
        if let Some(blob) = blob {
            let from = usize::try_from(request.offset).unwrap_or(usize::MAX).min(blob.len());
            for chunk in blob.get(from..).unwrap_or_default().chunks(CHUNK_BYTES) {
                write_frame(&mut stream, chunk).await.map_err(|e| e.to_string())?;
            }
        }
    }
    stream.flush().await.map_err(|e| e.to_string())?;
    stream.close().await.map_err(|e| e.to_string())
}
