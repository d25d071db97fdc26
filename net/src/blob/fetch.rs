//! Asking members for blobs. Every byte is hashed as it arrives (BLAKE3, incrementally) and
//! counted against the size the blob's kind allows; a blob is stored (and visible) only whole
//! and matching its hash, in one store transaction. Until then it exists only in this task's
//! memory, so a crash or a kill leaves nothing half-written behind.

use super::access::BlobAccess;
use super::wire::{
    BlobHeader, BlobRequest, CHUNK_BYTES, MAX_HASHES_PER_REQUEST, MAX_HEADER_BYTES, VERSION, protocol,
    read_frame_into, read_frame_len, write_frame,
};
use crate::error::NetError;
use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::{PeerId, Stream};
use partage::photo::{BlobHash, BlobKind, HashedBlob, PhotoError, PhotoRef};
use partage::{NeighbourhoodId, Node};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Each frame (header or chunk) must arrive within this.
const FRAME_DEADLINE: Duration = Duration::from_secs(10);
/// Opening a stream to a peer, at most.
const OPEN_DEADLINE: Duration = Duration::from_secs(10);

/// How far a transfer got: `received` of `total` bytes of the blob `hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchProgress {
    /// The blob.
    pub hash: BlobHash,
    /// Bytes received so far.
    pub received: u64,
    /// The blob's size, in bytes.
    pub total: u64,
}

/// Fetches blobs from members; one transfer per blob at a time.
#[derive(Clone)]
pub(crate) struct Fetcher {
    /// The running swarm's streams (replaced when the swarm restarts on another network).
    control: Arc<Mutex<Option<libp2p_stream::Control>>>,
    pub access: BlobAccess,
    pub node: Node,
    in_flight: Arc<Mutex<HashMap<BlobHash, Arc<tokio::sync::Mutex<()>>>>>,
}

/// A blob coming in: its bytes so far, hashed as they arrive.
struct Partial {
    blob: HashedBlob,
    total: Option<u64>,
}

impl Partial {
    fn new() -> Partial {
        Partial { blob: HashedBlob::new(), total: None }
    }
}

impl Fetcher {
    pub(crate) fn new(access: BlobAccess, node: Node) -> Fetcher {
        Fetcher { control: Arc::default(), access, node, in_flight: Arc::default() }
    }

    /// The swarm the fetcher opens streams on from now on (a new one after a move, ADR 0016);
    /// who had a session on the old one has none on this one.
    pub(crate) fn attach(&self, control: libp2p_stream::Control) {
        if let Ok(mut c) = self.control.lock() {
            *c = Some(control);
        }
        self.access.clear();
    }

    /// A photo's original: from this device if it is here, else from the first member who has
    /// it (a broken transfer goes on where it stopped with the next member; one that does not
    /// match its hash is thrown away and fetched again from the next). Cancel by dropping the
    /// future: nothing is stored then.
    pub(crate) async fn original(
        &self,
        photo: PhotoRef,
        progress: Option<mpsc::Sender<FetchProgress>>,
    ) -> Result<Vec<u8>, NetError> {
        if let Some(bytes) = self.blocking(move |n| n.original_here(&photo)).await? {
            return Ok(bytes);
        }
        let ns = self.blocking(move |n| n.photo_neighbourhood(&photo)).await?;
        let hash = photo.original;
        let turn = self.turn_for(hash);
        let _one_at_a_time = turn.lock().await;
        // Another transfer of the same blob may have finished while this one waited.
        if let Some(bytes) = self.blocking(move |n| n.original_here(&photo)).await? {
            return Ok(bytes);
        }
        let mut partial = Partial::new();
        let mut refused = false;
        for peer in self.access.peers_for(&ns) {
            match self.pull(peer, ns, hash, &mut partial, progress.as_ref()).await {
                Ok(true) if partial.blob.hash() == hash => {
                    let blob = std::mem::take(&mut partial.blob);
                    // Checked against its hash as it came in: stored without a second pass.
                    let bytes = self.blocking(move |n| n.store_received_hashed(&ns, hash, blob)).await?;
                    self.forget_turn(hash);
                    return Ok(bytes);
                }
                Ok(true) => {
                    crate::trace!("{peer} sent a blob that does not match its hash: refused");
                    refused = true;
                    partial = Partial::new();
                }
                Ok(false) => {}
                Err(why) => {
                    crate::trace!("blob transfer from {peer} broke at {} bytes: {why}", partial.blob.len())
                }
            }
        }
        self.forget_turn(hash);
        let e = if refused { PhotoError::HashMismatch } else { PhotoError::NotHere };
        Err(partage::Error::from(e).into())
    }

    /// Asks `peer` for up to [`MAX_HASHES_PER_REQUEST`] thumbnails of `ns`; returns those it
    /// had, each checked against its hash. A blob that does not match ends the request.
    pub(crate) async fn thumbnails(
        &self,
        peer: PeerId,
        ns: NeighbourhoodId,
        hashes: &[BlobHash],
    ) -> Result<Vec<(BlobHash, Vec<u8>)>, String> {
        let hashes = hashes.get(..MAX_HASHES_PER_REQUEST.min(hashes.len())).unwrap_or_default();
        let mut stream = self.open(peer, ns, hashes, 0).await?;
        let mut out = Vec::new();
        for hash in hashes {
            let mut partial = Partial::new();
            if !read_blob(&mut stream, *hash, BlobKind::Thumbnail, &mut partial, None).await? {
                continue;
            }
            if partial.blob.hash() != *hash {
                return Err(format!("thumbnail {} does not match its hash", hash.short()));
            }
            out.push((*hash, partial.blob.into_bytes()));
        }
        let _ = stream.close().await;
        Ok(out)
    }

    /// Asks `peer` for the rest of one blob (from what `partial` holds); `Ok(false)` if it has
    /// none, `Ok(true)` once every byte is in.
    async fn pull(
        &self,
        peer: PeerId,
        ns: NeighbourhoodId,
        hash: BlobHash,
        partial: &mut Partial,
        progress: Option<&mpsc::Sender<FetchProgress>>,
    ) -> Result<bool, String> {
        let mut stream = self.open(peer, ns, &[hash], partial.blob.len() as u64).await?;
        let done = read_blob(&mut stream, hash, BlobKind::Original, partial, progress).await;
        let _ = stream.close().await;
        done
    }

    async fn open(
        &self,
        peer: PeerId,
        ns: NeighbourhoodId,
        hashes: &[BlobHash],
        offset: u64,
    ) -> Result<Stream, String> {
        let mut control = self
            .control
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .ok_or_else(|| "the network is not running".to_string())?;
        let mut stream = tokio::time::timeout(OPEN_DEADLINE, control.open_stream(peer, protocol()))
            .await
            .map_err(|_| "no stream in time".to_string())?
            .map_err(|e| e.to_string())?;
        let request = BlobRequest {
            version: VERSION,
            neighbourhood: ns.0,
            hashes: hashes.iter().map(|h| h.0).collect(),
            offset,
        };
        let bytes = postcard::to_allocvec(&request).map_err(|e| e.to_string())?;
        write_frame(&mut stream, &bytes).await.map_err(|e| e.to_string())?;
        stream.flush().await.map_err(|e| e.to_string())?;
        Ok(stream)
    }

    fn turn_for(&self, hash: BlobHash) -> Arc<tokio::sync::Mutex<()>> {
        match self.in_flight.lock() {
            Ok(mut m) => m.entry(hash).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    fn forget_turn(&self, hash: BlobHash) {
        if let Ok(mut m) = self.in_flight.lock()
            && m.get(&hash).is_some_and(|t| Arc::strong_count(t) <= 2)
        {
            m.remove(&hash);
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Node) -> partage::Result<T> + Send + 'static,
    ) -> Result<T, NetError> {
        let node = self.node.clone();
        Ok(tokio::task::spawn_blocking(move || f(&node))
            .await
            .map_err(|e| NetError::Setup(e.to_string()))??)
    }
}

/// Reads one blob's header and bytes into `partial` (continuing where it stopped). The
/// announced length is checked against the kind's bound before anything is read, and every
/// chunk against what is left.
async fn read_blob(
    stream: &mut Stream,
    hash: BlobHash,
    kind: BlobKind,
    partial: &mut Partial,
    progress: Option<&mpsc::Sender<FetchProgress>>,
) -> Result<bool, String> {
    let mut buf = Vec::new();
    tokio::time::timeout(FRAME_DEADLINE, read_frame_into(stream, MAX_HEADER_BYTES, &mut buf))
        .await
        .map_err(|_| "no answer in time".to_string())??;
    let header: BlobHeader = postcard::from_bytes(&buf).map_err(|_| "not a blob header".to_string())?;
    if !header.present {
        return Ok(false);
    }
    if header.len > kind.max_bytes() as u64 {
        return Err(format!("a blob of {} bytes, more than {}", header.len, kind.max_bytes()));
    }
    if partial.total.is_some_and(|t| t != header.len) {
        // Another length than the peer before: start over (the hash decides who was right).
        *partial = Partial::new();
        return Err("another length than announced before".into());
    }
    partial.total = Some(header.len);
    let total = header.len as usize;
    partial.blob.reserve(total.saturating_sub(partial.blob.len()));
    while partial.blob.len() < total {
        let start = partial.blob.len();
        // Each chunk is read straight into the blob; one that does not arrive whole is given
        // back, so a transfer that breaks goes on from a chunk boundary with the next member.
        let blob = &mut partial.blob;
        let chunk = async {
            let len = read_frame_len(stream, CHUNK_BYTES).await?;
            if len == 0 || start + len > total {
                return Err("chunks do not add up to the announced length".to_string());
            }
            stream.read_exact(blob.fill(len)).await.map_err(|e| format!("the connection broke: {e}"))
        };
        let read = tokio::time::timeout(FRAME_DEADLINE, chunk).await;
        if !matches!(read, Ok(Ok(()))) {
            partial.blob.truncate(start);
        }
        read.map_err(|_| "a chunk did not come in time".to_string())??;
        partial.blob.hash_in();
        if let Some(p) = progress {
            // Progress is news, not a duty: a full channel skips a report rather than stall.
            let _ =
                p.try_send(FetchProgress { hash, received: partial.blob.len() as u64, total: header.len });
        }
        // A chance, between chunks, for whoever holds this future to cancel it (and for other
        // tasks to run) even when every chunk is already buffered.
        tokio::task::yield_now().await;
    }
    Ok(true)
}
