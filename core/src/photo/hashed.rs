//! A blob gathered piece by piece (as it streams in from a peer) with its BLAKE3 hash kept up
//! to date, so each received byte is hashed once and the store need not hash it again.

use super::BlobHash;

/// Bytes and the hash of exactly those bytes: whatever was appended is hashed before the hash
/// is read, so the two cannot disagree.
#[derive(Default)]
pub struct HashedBlob {
    bytes: Vec<u8>,
    hasher: blake3::Hasher,
    /// How many of `bytes` the hasher has seen (always a prefix).
    hashed: usize,
}

impl HashedBlob {
    /// An empty blob.
    pub fn new() -> HashedBlob {
        HashedBlob::default()
    }

    /// Bytes held (filled or not).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether no byte is held.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Room for `more` bytes (the caller bounds it).
    pub fn reserve(&mut self, more: usize) {
        self.bytes.reserve(more);
    }

    /// Appends `n` zero bytes and hands them out to be filled (read into): a transfer writes
    /// straight into the blob, with no copy in between. They are hashed by the next
    /// [`HashedBlob::hash_in`] or [`HashedBlob::hash`].
    pub fn fill(&mut self, n: usize) -> &mut [u8] {
        let start = self.bytes.len();
        self.bytes.resize(start + n, 0);
        self.bytes.get_mut(start..).unwrap_or_default()
    }

    /// Keeps the first `len` bytes (a fill that was not completed is given back).
    pub fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
        if self.hashed > self.bytes.len() {
            self.hasher.reset();
            self.hashed = 0;
        }
    }

    /// Hashes what was appended since the last call (call it as pieces arrive, so hashing runs
    /// while the transfer goes on rather than after it).
    pub fn hash_in(&mut self) {
        if let Some(fresh) = self.bytes.get(self.hashed..) {
            self.hasher.update(fresh);
        }
        self.hashed = self.bytes.len();
    }

    /// The BLAKE3 hash of every byte held.
    pub fn hash(&mut self) -> BlobHash {
        self.hash_in();
        BlobHash(*self.hasher.finalize().as_bytes())
    }

    /// The bytes held.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes held, without their hash.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_hash_is_always_of_the_bytes_held() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 5) as u8).collect();
        let mut b = HashedBlob::new();
        for piece in data.chunks(70_001) {
            b.fill(piece.len()).copy_from_slice(piece);
            b.hash_in();
        }
        assert_eq!(b.hash(), BlobHash::of(&data));
        // Filled but not yet hashed: still counted.
        b.fill(3).copy_from_slice(b"abc");
        let more = [&data[..], b"abc"].concat();
        assert_eq!(b.hash(), BlobHash::of(&more));
        // Given back past what was hashed: hashed again from the start.
        b.truncate(100);
        assert_eq!(b.hash(), BlobHash::of(&data[..100]));
        assert_eq!(b.into_bytes(), &data[..100]);
    }
}
