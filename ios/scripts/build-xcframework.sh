#!/usr/bin/env bash
# Builds ios/build/PartageFFIC.xcframework (iOS device, iOS simulator arm64+x86_64, macOS
# arm64+x86_64: static libpartage_ffi.a + C header + module map) and the generated Swift
# (ios/Sources/PartageFFI/PartageFFI.swift). Run on a Mac with Xcode and rustup.
#   ios/scripts/build-xcframework.sh            profile release-ffi (fat LTO, stripped) for every slice
#   PROFILE=release ios/scripts/build-xcframework.sh   (or PROFILE=debug)
#   FEATURES=quic ios/scripts/build-xcframework.sh     QUIC next to TCP (larger; ADR 0022)
set -euo pipefail

ios="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$ios/.." && pwd)"
profile="${PROFILE:-release-ffi}"
build="$ios/build"
cd "$repo"

[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh: needs macOS with Xcode" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "build-xcframework.sh: xcodebuild not found (install Xcode)" >&2; exit 1; }

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
# The package's deployment targets (Package.swift): the static libraries are built for them too.
export IPHONEOS_DEPLOYMENT_TARGET=16.0 MACOSX_DEPLOYMENT_TARGET=13.0
rustup target add "${targets[@]}"
case "$profile" in
    debug) flag=() ;;
    release) flag=(--release) ;;
    *) flag=(--profile "$profile") ;;
esac
# `cargo rustc --crate-type staticlib`: the .a alone (when the same rustc run also emits the rlib
# that Cargo.toml lists for the Rust tests, every public Rust symbol must survive LTO; see
# docs/BENCHMARKS.md, "Library size after the size-minded profile"), and without the `cli`
# feature, which only the host's uniffi-bindgen below needs.
for target in "${targets[@]}"; do
    echo "==> cargo rustc --crate-type staticlib --target $target ($profile)"
    cargo rustc -p partage-ffi --lib --crate-type staticlib --no-default-features \
        ${FEATURES:+--features "$FEATURES"} ${flag[@]+"${flag[@]}"} --target "$target"  # (bash 3.2-safe)
done
out_dir=$profile
[ "$profile" = dev ] && out_dir=debug
# Cargo's target directory: honours CARGO_TARGET_DIR (absolute, or relative to the repository)
# and a `build.target-dir` in Cargo config, as cargo itself does.
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
lib() { echo "$target_dir/$1/$out_dir/libpartage_ffi.a"; }

echo "==> generated Swift (library mode, from the host build)"
cargo build -p partage-ffi --lib --bin uniffi-bindgen
rm -rf "$build" "$ios/Sources/PartageFFI"
mkdir -p "$build/gen" "$build/headers/PartageFFIC" "$build/ios-simulator" "$build/macos" "$ios/Sources/PartageFFI"
"$target_dir/debug/uniffi-bindgen" generate --library "$target_dir/debug/libpartage_ffi.dylib" --language swift \
    --no-format --out-dir "$build/gen"
# Task.cancel() reaches Rust (uniffi 0.32 does not do it for Swift): the same patch the Linux tests use.
python3 "$repo/scripts/bindings/swift-cancellation.py" "$build/gen/PartageFFI.swift"
python3 "$repo/scripts/bindings/swift-error-cases.py" "$build/gen/PartageFFI.swift"
cp "$build/gen/PartageFFI.swift" "$ios/Sources/PartageFFI/"
# Headers in a folder of their own: Xcode merges every XCFramework's headers into one directory.
cp "$build/gen/PartageFFIC.h" "$build/headers/PartageFFIC/"
cp "$build/gen/PartageFFIC.modulemap" "$build/headers/PartageFFIC/module.modulemap"

echo "==> fat libraries for the simulator and macOS"
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$build/ios-simulator/libpartage_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$build/macos/libpartage_ffi.a"

echo "==> xcodebuild -create-xcframework"
xcodebuild -create-xcframework \
    -library "$(lib aarch64-apple-ios)" -headers "$build/headers" \
    -library "$build/ios-simulator/libpartage_ffi.a" -headers "$build/headers" \
    -library "$build/macos/libpartage_ffi.a" -headers "$build/headers" \
    -output "$build/PartageFFIC.xcframework"
echo "built $build/PartageFFIC.xcframework"
