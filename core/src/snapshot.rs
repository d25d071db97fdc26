//! Looking inside an automerge snapshot before automerge loads it.
//!
//! A whole document from a peer is a sequence of automerge chunks whose columns may be
//! DEFLATE-compressed; automerge inflates them without a cap. So before a snapshot is loaded:
//! its chunk layout is walked (magic, type, lengths), every compressed column or chunk is
//! inflated through a counting reader that stops at [`MAX_INFLATED_BYTES`], and the heads the
//! document chunk declares are returned, so their attestations can be checked first.
//! See the storage format of automerge 0.12 (`storage/chunk.rs`, `storage/document.rs`).

use crate::error::VerifyError;
use automerge::ChangeHash;
use std::io::Read;

/// Bytes a snapshot may inflate to, in all (a 10,000-item document inflates to a few MiB).
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;
/// Bit of a column specification that marks a DEFLATE-compressed column.
const DEFLATE_BIT: u64 = 0b1000;

/// What a snapshot declares, found without loading it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Heads declared by its document chunk (empty if it has none).
    pub heads: Vec<ChangeHash>,
    /// Bytes of column data once inflated, over all chunks.
    pub inflated: usize,
}

fn bad(what: &str) -> VerifyError {
    VerifyError::Malformed(format!("snapshot: {what}"))
}

/// A cursor over the snapshot's bytes.
struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], VerifyError> {
        if n > self.bytes.len() {
            return Err(bad("truncated"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, VerifyError> {
        self.take(1)?.first().copied().ok_or_else(|| bad("truncated"))
    }

    /// Unsigned LEB128, at most 64 bits.
    fn uleb(&mut self) -> Result<u64, VerifyError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).checked_shl(shift).ok_or_else(|| bad("number too large"))?;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad("number too long"))
    }

    fn len(&mut self) -> Result<usize, VerifyError> {
        usize::try_from(self.uleb()?).map_err(|_| bad("length too large"))
    }
}

/// Walks `bytes` and returns its declared heads and inflated size; refuses a layout it cannot
/// follow or data that would inflate past `max_inflated`.
pub fn inspect(bytes: &[u8], max_inflated: usize) -> Result<SnapshotInfo, VerifyError> {
    let mut input = Input { bytes };
    let mut info = SnapshotInfo::default();
    let mut budget = max_inflated;
    while !input.bytes.is_empty() {
        if input.take(4)? != MAGIC {
            return Err(bad("not an automerge chunk"));
        }
        input.take(4)?; // checksum: automerge checks it
        let kind = input.byte()?;
        let len = input.len()?;
        let data = input.take(len)?;
        match kind {
            DOCUMENT => document(data, &mut budget, &mut info)?,
            CHANGE => spend(&mut budget, data.len())?,
            COMPRESSED_CHANGE => {
                inflate(data, &mut budget)?;
            }
            other => return Err(bad(&format!("unexpected chunk type {other}"))),
        }
    }
    info.inflated = max_inflated - budget;
    Ok(info)
}

fn spend(budget: &mut usize, n: usize) -> Result<(), VerifyError> {
    *budget = budget.checked_sub(n).ok_or(VerifyError::InflatesTooMuch { max: MAX_INFLATED_BYTES })?;
    Ok(())
}

/// Inflates `data` through the budget, without keeping the result.
fn inflate(data: &[u8], budget: &mut usize) -> Result<(), VerifyError> {
    let allowed = u64::try_from(*budget).unwrap_or(u64::MAX).saturating_add(1);
    let mut decoder = flate2::read::DeflateDecoder::new(data).take(allowed);
    let n = std::io::copy(&mut decoder, &mut std::io::sink()).map_err(|_| bad("damaged compressed data"))?;
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > *budget {
        return Err(VerifyError::InflatesTooMuch { max: MAX_INFLATED_BYTES });
    }
    spend(budget, n)
}

/// A document chunk: actors, heads, change and op column metadata, then the column data.
fn document(data: &[u8], budget: &mut usize, info: &mut SnapshotInfo) -> Result<(), VerifyError> {
    let mut input = Input { bytes: data };
    let actors = input.len()?;
    for _ in 0..actors {
        let n = input.len()?;
        input.take(n)?;
    }
    let heads = input.len()?;
    for _ in 0..heads {
        let hash: [u8; 32] = input.take(32)?.try_into().map_err(|_| bad("head"))?;
        info.heads.push(ChangeHash(hash));
    }
    let mut columns = Vec::new();
    for _ in 0..2 {
        let count = input.len()?;
        for _ in 0..count {
            let spec = input.uleb()?;
            let len = input.len()?;
            columns.push((spec & DEFLATE_BIT != 0, len));
        }
    }
    for (deflated, len) in columns {
        let column = input.take(len)?;
        if deflated {
            inflate(column, budget)?;
        } else {
            spend(budget, len)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};
    use std::io::Write;

    fn leb(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// A document chunk with one compressed column of `zeros` zero bytes.
    fn bomb(zeros: usize) -> Vec<u8> {
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let block = vec![0u8; 1 << 20];
        let mut left = zeros;
        while left > 0 {
            let n = left.min(block.len());
            z.write_all(&block[..n]).unwrap();
            left -= n;
        }
        let column = z.finish().unwrap();
        let mut body = Vec::new();
        leb(0, &mut body); // actors
        leb(1, &mut body); // heads
        body.extend([7u8; 32]);
        leb(1, &mut body); // change columns
        leb((1 << 4) | DEFLATE_BIT, &mut body);
        leb(column.len() as u64, &mut body);
        leb(0, &mut body); // op columns
        body.extend(&column);
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0; 4]);
        chunk.push(DOCUMENT);
        leb(body.len() as u64, &mut chunk);
        chunk.extend(body);
        chunk
    }

    #[test]
    fn real_documents_pass_with_their_heads() {
        let mut doc = AutoCommit::new();
        let items = doc.put_object(ROOT, "items", ObjType::Map).unwrap();
        for i in 0..500 {
            doc.put(&items, format!("k{i}"), "une assez longue valeur qui se répète ".repeat(4)).unwrap();
        }
        let bytes = doc.save();
        let info = inspect(&bytes, MAX_INFLATED_BYTES).unwrap();
        assert_eq!(info.heads, doc.get_heads());
        assert!(info.inflated >= bytes.len() / 2, "{info:?}");
    }

    #[test]
    fn a_decompression_bomb_is_refused_at_the_cap() {
        let bytes = bomb(MAX_INFLATED_BYTES + (1 << 20));
        assert!(bytes.len() < 1 << 20, "{}", bytes.len());
        assert!(matches!(inspect(&bytes, MAX_INFLATED_BYTES), Err(VerifyError::InflatesTooMuch { .. })));
        // Under the cap it is walked, and its declared head found.
        let small = bomb(1 << 20);
        assert_eq!(inspect(&small, MAX_INFLATED_BYTES).unwrap().heads, vec![ChangeHash([7; 32])]);
    }

    #[test]
    fn garbage_and_truncation_are_refused() {
        let bytes = AutoCommit::new().save();
        for cut in 0..bytes.len() {
            assert!(inspect(&bytes[..cut], MAX_INFLATED_BYTES).is_err() || cut == 0);
        }
        assert!(inspect(&[1, 2, 3, 4, 5, 6, 7, 8, 9], MAX_INFLATED_BYTES).is_err());
        let mut huge_len = MAGIC.to_vec();
        huge_len.extend([0; 4]);
        huge_len.push(DOCUMENT);
        huge_len.extend([0xff; 10]);
        assert!(inspect(&huge_len, MAX_INFLATED_BYTES).is_err());
    }
}
