#!/usr/bin/env bash
# Compiles the generated Swift (module PartageFFI), the Swift layer (module Partage,
# bindings/swift/Sources/Partage) and the tests (bindings/swift/Tests/PartageTests) with swiftc
# inside the Debian trixie root, as the three modules of the iOS package, and runs the tests there
# against the host build of libpartage_ffi.so. Installs the Swift root first if it is missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -f "$SWIFT_ROOT/.complete" ] || "$REPO/scripts/bindings/install-toolchains.sh" swift
build_ffi
gen="$(generate swift)"
# Task.cancel() reaches Rust (uniffi 0.32 does not do it for Swift): see the script.
python3 "$REPO/scripts/bindings/swift-cancellation.py" "$gen/PartageFFI.swift" || die "could not patch the generated Swift"
# PartageError's cases in lowerCamelCase (uniffi 0.32 capitalises them): see the script.
python3 "$REPO/scripts/bindings/swift-error-cases.py" "$gen/PartageFFI.swift" || die "could not patch the generated Swift"

# Everything the compiler sees is copied into the root (absolute paths matter for the module map).
# One folder per run (concurrent runs on one machine share the root), removed afterwards.
work="/partage-swift-test.$$"
host_work="$SWIFT_ROOT$work"
rm -rf "$host_work"
trap 'rm -rf "$host_work"' EXIT
mkdir -p "$host_work"/{ffi,lib,mod,bin,cache}
cp "$gen"/PartageFFIC.h "$gen"/PartageFFIC.modulemap "$gen"/PartageFFI.swift "$host_work/ffi/"
cp "$FFI_LIB" "$host_work/lib/"
cp -r "$REPO/bindings/swift/Sources" "$REPO/bindings/swift/Tests" "$host_work/"

step "swiftc (PartageFFI, Partage, tests) inside $SWIFT_ROOT"
start=$SECONDS
in_swift_root sh -eu -c '
    w=$1
    common="-module-cache-path $w/cache -Xcc -fmodule-map-file=$w/ffi/PartageFFIC.modulemap -I $w/ffi -I $w/mod -L $w/lib"
    swiftc $common -parse-as-library -emit-library -module-name PartageFFI \
        -emit-module-path $w/mod/PartageFFI.swiftmodule -lpartage_ffi \
        $w/ffi/PartageFFI.swift -o $w/lib/libPartageFFI.so
    swiftc $common -parse-as-library -emit-library -module-name Partage -strict-concurrency=complete \
        -emit-module-path $w/mod/Partage.swiftmodule -lPartageFFI -lpartage_ffi \
        $w/Sources/Partage/*.swift -o $w/lib/libPartage.so
    swiftc $common -module-name PartageTests -lPartage -lPartageFFI -lpartage_ffi \
        $w/Tests/PartageTests/*.swift -o $w/bin/partage-swift-tests
' sh "$work" || die "swiftc failed"
echo "compiled in $((SECONDS - start)) s"

step "run the Swift tests"
in_swift_root env LD_LIBRARY_PATH="$work/lib" "$work/bin/partage-swift-tests"
