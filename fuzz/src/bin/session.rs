//! AFL target: see `partage_fuzz::session`. The nodes are made inside the loop, after AFL's fork
//! server has forked: each process has its own store files.
use partage_fuzz::bundle::fixtures_dir;
use partage_fuzz::session::{SessionFixture, SessionTarget};
use std::sync::Mutex;

static TARGET: Mutex<Option<SessionTarget>> = Mutex::new(None);

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let mut guard = TARGET.lock().unwrap_or_else(|e| e.into_inner());
        let target = guard.get_or_insert_with(|| SessionTarget::new(SessionFixture::load(&fixtures_dir())));
        let _ = target.run(data);
    });
}
