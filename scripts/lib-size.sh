#!/usr/bin/env bash
# Size of the FFI library apps embed (libpartage_ffi.so, profile release-ffi), and the crates
# that take the most of it.
#
# Usage: scripts/lib-size.sh [cargo feature flags]
#   scripts/lib-size.sh                          # --no-default-features, as android/ and ios/ build it
#   scripts/lib-size.sh --features cli           # with the `cli` feature (uniffi-bindgen only)
#   TOP=40 scripts/lib-size.sh                   # more crates in the list (default 25)
#   SYMBOLS=0 scripts/lib-size.sh                # size only, no second build for the crate list
#
# 1. `cargo rustc -p partage-ffi --lib --crate-type cdylib --profile release-ffi`, as android/
#    builds it (the profile strips already). Only the cdylib: when the same rustc run also emits
#    the `lib` (rlib) that Cargo.toml lists for the Rust tests, every public Rust symbol of every
#    crate must survive the fat LTO, and the .so is 13% larger. Then a copy stripped again with
#    `strip --strip-all` (it should not shrink), and its gzip -9 size.
# 2. The crate list needs symbols, so a second build of the same profile with
#    CARGO_PROFILE_RELEASE_FFI_STRIP=false goes to its own target directory ($target/lib-size-symbols,
#    so the shipped build is left as it is), and `nm --size-sort` of that unstripped library is
#    summed per crate: the first path segment of each demangled symbol (generic code counts for
#    the crate that defines it, `<impl A for B>` for A's). `cargo bloat --crates` would be the
#    usual tool, but it refuses partage-ffi: "only 'bin', 'dylib' and 'cdylib' crate types are
#    supported" (partage-ffi is cdylib + staticlib + lib).
# Honours CARGO_TARGET_DIR. Builds for the host only (no Android NDK or Apple targets here).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="${CARGO_TARGET_DIR:-target}"
top="${TOP:-25}"
features=("$@")
[ ${#features[@]} -gt 0 ] || features=(--no-default-features)
build=(cargo rustc -p partage-ffi --lib --crate-type cdylib --profile release-ffi "${features[@]}")

step() {
    printf '\n==> %s\n' "$*" >&2
}

step "${build[*]}"
"${build[@]}"
lib="$target/release-ffi/libpartage_ffi.so"
[ -f "$lib" ] || { echo "no $lib" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$lib" "$tmp/lib.so"
strip --strip-all "$tmp/lib.so"
gzip -9 -c "$tmp/lib.so" >"$tmp/lib.so.gz"
echo
echo "libpartage_ffi.so (release-ffi, cdylib only, ${features[*]}, $(uname -m))"
for f in "$lib:as built" "$tmp/lib.so:stripped" "$tmp/lib.so.gz:gzip -9"; do
    bytes=$(stat -c %s "${f%%:*}")
    printf '  %-10s %12d bytes (%.2f MB)\n' "${f#*:}" "$bytes" "$(python3 -c "print($bytes / 1e6)")"
done
echo "  largest sections (size -A):"
size -A "$tmp/lib.so" | awk 'NR > 2 && $2 > 0 && $1 != "Total" { printf "    %-20s %12d\n", $1, $2 }' | sort -k2 -n -r | head -8

[ "${SYMBOLS:-1}" = "0" ] && exit 0

symbols_dir="$target/lib-size-symbols"
step "the same build with symbols, for the crate list (CARGO_TARGET_DIR=$symbols_dir)"
CARGO_PROFILE_RELEASE_FFI_STRIP=false CARGO_TARGET_DIR="$symbols_dir" "${build[@]}"
echo
echo "largest crates by symbol size (nm --size-sort of the unstripped build)"
nm -C --size-sort -S "$symbols_dir/release-ffi/libpartage_ffi.so" | python3 -c '
import re, sys
top = int(sys.argv[1])
sums, total = {}, 0
for line in sys.stdin:
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) < 4 or parts[2] not in "tTrRdDbBvVwW":
        continue
    size, name = int(parts[1], 16), parts[3]
    # <impl A for B>, <A as B>: the first path; generic code counts for the crate defining it.
    name = re.sub(r"^(<|dyn |&mut |&|\*const |\*mut )+", "", name)
    if "::" in name:
        crate = name.split("::", 1)[0].split("<", 1)[0]
        crate = crate.split(" as ")[-1]  # <T as core::...>: counted for the trait crate
    elif name.lower().startswith("aws_lc_"):
        crate = "[C] aws-lc (rustls/QUIC crypto)"
    elif name.startswith("ring_core_"):
        crate = "[C] ring"
    elif name.lower().startswith(("uniffi", "ffi_")):
        crate = "[exports] uniffi scaffolding"
    else:
        crate = "[C or unnamed] (mostly aws-lc and ring tables and internals)"
    sums[crate] = sums.get(crate, 0) + size
    total += size
for crate, size in sorted(sums.items(), key=lambda kv: -kv[1])[:top]:
    print("%12d %6.2f%%  %s" % (size, 100.0 * size / total, crate))
print("%12d %6.2f%%  (all symbols)" % (total, 100.0))
' "$top"
