//! Automerge chunk headers. Every automerge chunk (a document or a change) starts with magic
//! bytes and a checksum of its body; random mutations break the checksum, so most inputs would
//! stop at "invalid checksum". The bundle target can instead take a chunk *body* from the input
//! and put a correct header in front, which lets the fuzzer reach the column decoders and
//! everything after them.

use sha2::{Digest, Sha256};

pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
pub const DOCUMENT: u8 = 0;
pub const CHANGE: u8 = 1;

fn uleb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// `body` as a chunk of type `kind`, with the checksum automerge expects.
pub fn wrap(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut len = Vec::with_capacity(10);
    uleb(&mut len, body.len() as u64);
    let mut h = Sha256::new();
    h.update([kind]);
    h.update(&len);
    h.update(body);
    let hash: [u8; 32] = h.finalize().into();
    let mut out = Vec::with_capacity(body.len() + 19);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&hash[..4]);
    out.push(kind);
    out.extend_from_slice(&len);
    out.extend_from_slice(body);
    out
}

/// The type and body of the first chunk in `bytes` (for making seeds), if it is one.
pub fn unwrap(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let rest = bytes.strip_prefix(&MAGIC)?;
    let (&kind, mut rest) = rest.get(4..)?.split_first()?;
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let (&b, tail) = rest.split_first()?;
        rest = tail;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    rest.get(..usize::try_from(len).ok()?).map(|body| (kind, body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_matches_automerge() {
        let mut doc = automerge::AutoCommit::new();
        use automerge::transaction::Transactable;
        doc.put(automerge::ROOT, "k", "v").unwrap();
        let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
        let (kind, body) = super::unwrap(&change).unwrap();
        assert_eq!(kind, super::CHANGE);
        assert_eq!(super::wrap(kind, body), change);
        let saved = doc.save();
        let (kind, body) = super::unwrap(&saved).unwrap();
        assert_eq!(super::wrap(kind, body), saved);
    }
}
