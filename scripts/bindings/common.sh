# Shared steps of the binding test scripts (sourced, not run): build the library and the
# generator, generate a language's bindings into the target directory (a build output).
# shellcheck source=scripts/bindings/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

step() {
    printf '\n==> %s\n' "$*"
}

# The cargo target directory (honours CARGO_TARGET_DIR and cargo config).
target_dir() {
    cargo metadata --format-version 1 --no-deps --manifest-path "$REPO/Cargo.toml" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# Builds libpartage_ffi.so and uniffi-bindgen (debug); sets FFI_LIB_DIR, FFI_LIB and BINDGEN.
build_ffi() {
    step "cargo build -p partage-ffi (library and uniffi-bindgen)"
    (cd "$REPO" && cargo build -p partage-ffi --lib --bin uniffi-bindgen) || die "cargo build failed"
    local target
    target="$(target_dir)" || die "cargo metadata failed"
    FFI_LIB_DIR="$target/debug"
    FFI_LIB="$FFI_LIB_DIR/libpartage_ffi.so"
    BINDGEN="$FFI_LIB_DIR/uniffi-bindgen"
    GEN_ROOT="$target/bindings"
    [ -f "$FFI_LIB" ] || die "$FFI_LIB was not built"
    [ -x "$BINDGEN" ] || die "$BINDGEN was not built"
}

# generate LANG: writes the generated sources to $GEN_ROOT/LANG (fresh each time) and echoes it.
generate() {
    local out="$GEN_ROOT/$1"
    rm -rf "$out"
    mkdir -p "$out"
    (cd "$REPO" && "$BINDGEN" generate --library "$FFI_LIB" --language "$1" --out-dir "$out" --no-format) \
        >/dev/null || die "uniffi-bindgen could not generate $1"
    echo "$out"
}
