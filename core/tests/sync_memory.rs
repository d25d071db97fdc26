//! Hostile sync files cannot make a reader allocate much: decoding each one is measured with a
//! counting allocator. One test in this binary, so nothing else allocates meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use partage::EnvelopeError;
use partage::sync::envelope;
use partage::sync::wire::{WireBundles, WireSummary};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, SeqCst) + by;
    PEAK.fetch_max(now, SeqCst);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), SeqCst);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as old and new both alive, as they may be during the copy.
            grew(new_size);
            CURRENT.fetch_sub(layout.size(), SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak bytes allocated by `f` beyond what was allocated before it.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(SeqCst);
    PEAK.store(base, SeqCst);
    let out = f();
    (out, PEAK.load(SeqCst).saturating_sub(base))
}

const MIB: usize = 1024 * 1024;

#[test]
fn hostile_files_are_refused_without_large_allocations() {
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("1,000,000 documents announced, 5,000 present", summary_with_docs(1_000_000, 5_000), MIB),
        ("1,000,000 heads of one document", summary_with_heads(1_000_000), 64 * 1024),
        ("1,000,000 empty changes", bundle_with_changes(1_000_000, 0), 64 * 1024),
        ("1,000,000 documents announced, none present", bundle_with_documents(1_000_000), 64 * 1024),
        ("a snapshot claiming 1 TiB", bundle_with_huge_snapshot_claim(1 << 40), 64 * 1024),
        ("4,096 documents announced as u64::MAX", summary_with_docs(u64::MAX, 4_096), MIB),
    ];
    for (what, bytes, limit) in &cases {
        let (summary, peak_s) = peak_of(|| envelope::decode::<WireSummary>(bytes));
        let (bundles, peak_b) = peak_of(|| envelope::decode::<WireBundles>(bytes));
        assert!(summary.is_err() && bundles.is_err(), "{what}: accepted");
        let peak = peak_s.max(peak_b);
        assert!(peak <= *limit, "{what}: {} bytes of input made the reader allocate {peak}", bytes.len());
    }

    // Just past the limit of changes, each as small as a change may be, behind a length that
    // cannot be believed (so every entry is read): refused at the limit, and what was decoded
    // before stays within a small factor of the file's size.
    let max = partage::node::MAX_CHANGES_PER_BUNDLE as u64;
    let bytes = bundle_with_changes_announcing(u64::MAX, max + 1, 16);
    let (result, peak) = peak_of(|| envelope::decode::<WireBundles>(&bytes));
    assert!(matches!(result, Err(EnvelopeError::TooMany { what: "changes", .. })), "{result:?}");
    assert!(peak <= 6 * bytes.len(), "{} bytes of input, {peak} allocated", bytes.len());
}
