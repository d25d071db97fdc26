//! Content addresses: a blob's BLAKE3 hash, and a photo's reference in an item (original and
//! thumbnail), written `ORIGINAL.THUMBNAIL` in hex.

use super::PhotoError;
use std::fmt;
use std::str::FromStr;

/// The BLAKE3 hash of a blob's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobHash(pub [u8; 32]);

impl BlobHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> BlobHash {
        BlobHash(*blake3::hash(bytes).as_bytes())
    }

    /// The hash in lowercase hex (64 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 8 hex characters, for messages.
    pub fn short(&self) -> String {
        hex::encode(self.0.get(..4).unwrap_or_default())
    }

    /// Parses 64 hex characters; `None` for anything else.
    pub fn from_hex(text: &str) -> Option<BlobHash> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(BlobHash(out))
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// One photo of an item: its downscaled original and its thumbnail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhotoRef {
    /// The downscaled original (JPEG).
    pub original: BlobHash,
    /// The thumbnail (JPEG).
    pub thumbnail: BlobHash,
}

/// Characters of a reference: 64 + 1 + 64.
pub const REFERENCE_CHARS: usize = 129;

impl fmt::Display for PhotoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.original, self.thumbnail)
    }
}

impl FromStr for PhotoRef {
    type Err = PhotoError;

    fn from_str(text: &str) -> Result<PhotoRef, PhotoError> {
        let bad = || PhotoError::BadReference(text.chars().take(REFERENCE_CHARS + 8).collect());
        let (original, thumbnail) = text.trim().split_once('.').ok_or_else(bad)?;
        let lower =
            |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !lower(original) || !lower(thumbnail) {
            return Err(bad());
        }
        Ok(PhotoRef {
            original: BlobHash::from_hex(original).ok_or_else(bad)?,
            thumbnail: BlobHash::from_hex(thumbnail).ok_or_else(bad)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn references_round_trip_and_refuse_other_text() {
        let r = PhotoRef { original: BlobHash::of(b"a"), thumbnail: BlobHash::of(b"b") };
        assert_eq!(r.to_string().len(), REFERENCE_CHARS);
        assert_eq!(r.to_string().parse::<PhotoRef>().unwrap(), r);
        for bad in ["", "abc", &r.original.to_hex(), &r.to_string().to_uppercase(), &format!("{r}.")] {
            assert!(bad.parse::<PhotoRef>().is_err(), "{bad}");
        }
    }
}
