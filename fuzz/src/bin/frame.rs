//! AFL target: see `partage_fuzz::frame`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        partage_fuzz::frame::run(data);
    });
}
