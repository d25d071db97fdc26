//! The uniffi generator, pinned to this workspace's uniffi version.
//! `cargo run -p partage-ffi --bin uniffi-bindgen -- generate --library target/debug/libpartage_ffi.so --language kotlin --out-dir OUT`

fn main() {
    uniffi::uniffi_bindgen_main()
}
