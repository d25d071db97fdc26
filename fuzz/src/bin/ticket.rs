//! AFL target: see `partage_fuzz::ticket`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        partage_fuzz::ticket::run(data);
    });
}
