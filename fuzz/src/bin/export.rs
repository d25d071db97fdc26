//! AFL target: see `partage_fuzz::export`. The node is made inside the loop, after AFL's fork
//! server has forked: each process has its own store file.
use partage_fuzz::export::ExportTarget;
use std::sync::Mutex;

static TARGET: Mutex<Option<ExportTarget>> = Mutex::new(None);

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let mut guard = TARGET.lock().unwrap_or_else(|e| e.into_inner());
        let _ = guard.get_or_insert_with(ExportTarget::new).run(data);
    });
}
