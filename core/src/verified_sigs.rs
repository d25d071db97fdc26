//! Signatures this process has already seen verify. The same certificates are checked again and
//! again: every bundle of a member carries their chain, and a newly learned admission makes the
//! node check every member's chain once more (`settle_members`), under the node's lock. An
//! ed25519 check costs ~50 µs; a lookup of the BLAKE3 hash of key, message and signature costs
//! about 1 µs. Only successes are kept, keyed by a collision-resistant hash of all three, so a
//! hit is exactly "this key signed this message with this signature" (verification is
//! deterministic). Bounded: a flood of valid signatures only evicts, it never grows memory.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// Entries kept at most (32 bytes each, plus the set's overhead: well under 1 MiB).
pub const MAX_ENTRIES: usize = 8192;

fn cache() -> &'static Mutex<HashSet<[u8; 32]>> {
    static CACHE: OnceLock<Mutex<HashSet<[u8; 32]>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashSet::new()))
}

/// The cache key of one (key, message, signature) triple.
pub(crate) fn fingerprint(public: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("partage verified signature v1");
    h.update(public);
    h.update(sig);
    h.update(message);
    *h.finalize().as_bytes()
}

/// Whether this triple verified before in this process.
pub(crate) fn seen(fingerprint: &[u8; 32]) -> bool {
    cache().lock().is_ok_and(|set| set.contains(fingerprint))
}

/// Remembers a triple that verified. When full, the whole set is dropped (the next checks
/// verify again and refill it): simple, bounded, and no order to keep per entry.
pub(crate) fn remember(fingerprint: [u8; 32]) {
    if let Ok(mut set) = cache().lock() {
        if set.len() >= MAX_ENTRIES {
            set.clear();
        }
        set.insert(fingerprint);
    }
}

/// Forgets every remembered triple.
pub(crate) fn forget() {
    if let Ok(mut set) = cache().lock() {
        set.clear();
    }
}

/// Tests that look at the process-wide set, or empty it, take this first (`cargo test` runs
/// them on threads of one process).
#[cfg(test)]
pub(crate) static TEST_LOCK: Mutex<()> = Mutex::new(());

#[cfg(test)]
pub(crate) fn len() -> usize {
    cache().lock().map_or(0, |set| set.len())
}
