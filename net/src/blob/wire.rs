//! The blob protocol's frames: a request (version, neighbourhood, hashes, offset), then per
//! hash a header (present? total length) and the bytes from the offset on, in chunks. Every
//! frame is length-prefixed (u32 big-endian) and bounded before it is read.

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use serde::{Deserialize, Serialize};

/// The protocol photo blobs are fetched over.
pub const BLOB_PROTOCOL: &str = "/partage/blob/1";
pub(crate) const VERSION: u32 = 1;
/// Hashes in one request at most (a page of thumbnails: 64 x 48 KiB = 3 MiB).
pub const MAX_HASHES_PER_REQUEST: usize = 64;
/// A request is at most this long (64 hashes and a few numbers).
pub(crate) const MAX_REQUEST_BYTES: usize = 4 * 1024;
/// Bytes of blob per data frame.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// A header frame at most.
pub(crate) const MAX_HEADER_BYTES: usize = 32;

pub(crate) fn protocol() -> libp2p::StreamProtocol {
    libp2p::StreamProtocol::new(BLOB_PROTOCOL)
}

#[derive(Serialize, Deserialize)]
pub(crate) struct BlobRequest {
    pub version: u32,
    pub neighbourhood: [u8; 32],
    pub hashes: Vec<[u8; 32]>,
    /// Where to start in each blob (to resume an original after a broken transfer).
    pub offset: u64,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct BlobHeader {
    pub present: bool,
    /// The whole blob's length (not only what follows the offset).
    pub len: u64,
}

pub(crate) async fn write_frame<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    stream.write_all(&len.to_be_bytes()).await?;
    stream.write_all(bytes).await
}

/// Reads one frame of at most `max` bytes into `out` (cleared first); memory grows with what
/// arrives, not with what the length claims.
pub(crate) async fn read_frame_into<S: AsyncRead + Unpin>(
    stream: &mut S,
    max: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let len = read_frame_len(stream, max).await?;
    out.clear();
    (&mut *stream)
        .take(len as u64)
        .read_to_end(out)
        .await
        .map_err(|e| format!("the connection broke: {e}"))?;
    if out.len() != len {
        return Err("the connection closed mid-frame".into());
    }
    Ok(())
}

/// Reads a frame's length (at most `max`); the caller reads that many bytes next.
pub(crate) async fn read_frame_len<S: AsyncRead + Unpin>(
    stream: &mut S,
    max: usize,
) -> Result<usize, String> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.map_err(|e| format!("the connection broke: {e}"))?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(format!("a frame of {len} bytes, more than {max}"));
    }
    Ok(len)
}
