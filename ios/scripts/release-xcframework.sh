#!/usr/bin/env bash
# Makes a release of the Swift package for a remote SwiftPM dependency: builds the XCFramework
# (build-xcframework.sh), zips it, computes its checksum, and writes a self-contained package
# folder (no symlinks, no ignored paths) whose Package.swift names the zip by URL and checksum.
# Run on a Mac with Xcode.
#
#   ios/scripts/release-xcframework.sh 0.1.0 https://example.org/partage/releases/download/0.1.0
#
# Output, in ios/build/release/:
#   PartageFFIC.xcframework.zip       upload it so that BASE_URL/PartageFFIC.xcframework.zip serves it
#   PartageFFIC.xcframework.zip.sha256
#   partage-swift/                    push to the Swift package's repository and tag it VERSION
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: release-xcframework.sh VERSION BASE_URL" >&2; exit 2; }
version="$1"
base_url="${2%/}"
ios="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$ios/build"
out="$build/release"

"$ios/scripts/build-xcframework.sh"

rm -rf "$out"
mkdir -p "$out"
echo "==> zip"
# ditto keeps the framework's symlinks and permissions as Xcode expects them.
(cd "$build" && ditto -c -k --sequesterRsrc --keepParent PartageFFIC.xcframework "$out/PartageFFIC.xcframework.zip")
checksum="$(swift package compute-checksum "$out/PartageFFIC.xcframework.zip")"
echo "$checksum" > "$out/PartageFFIC.xcframework.zip.sha256"

echo "==> package folder"
pkg="$out/partage-swift"
mkdir -p "$pkg/Sources"
# -L: the Partage layer is a symlink to bindings/swift/Sources/Partage in this repository.
cp -RL "$ios/Sources/PartageFFI" "$ios/Sources/Partage" "$ios/Sources/PartageApple" "$pkg/Sources/"
# The local binary target becomes a remote one (python3 comes with Xcode's command-line tools).
python3 - "$ios/Package.swift" "$pkg/Package.swift" "$base_url/PartageFFIC.xcframework.zip" "$checksum" <<'PY'
import sys
src, dst, url, checksum = sys.argv[1:]
local = '.binaryTarget(name: "PartageFFIC", path: "build/PartageFFIC.xcframework")'
text = open(src).read()
if text.count(local) != 1:
    sys.exit("release-xcframework.sh: Package.swift's binaryTarget line changed; update this script")
remote = f'.binaryTarget(\n            name: "PartageFFIC",\n            url: "{url}",\n            checksum: "{checksum}"\n        )'
open(dst, "w").write(text.replace(local, remote))
PY
printf '%s\n' "$version" > "$pkg/VERSION"

echo "release $version:"
echo "  upload $out/PartageFFIC.xcframework.zip to $base_url/PartageFFIC.xcframework.zip"
echo "  checksum $checksum"
echo "  push $pkg to the package repository and tag it $version"
