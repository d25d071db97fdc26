//! AFL target: see `partage_fuzz::bundle`. The node is made inside the loop, after AFL's fork
//! server has forked: each process has its own store files.
use partage_fuzz::bundle::{BundleTarget, Fixture, fixtures_dir};
use std::sync::Mutex;

static TARGET: Mutex<Option<BundleTarget>> = Mutex::new(None);

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let mut guard = TARGET.lock().unwrap_or_else(|e| e.into_inner());
        let target = guard.get_or_insert_with(|| BundleTarget::new(Fixture::load(&fixtures_dir())));
        let _ = target.run(data);
    });
}
