#!/usr/bin/env bash
# Type-checks the Apple glue (ios/Sources/PartageApple) with swiftc inside the Debian trixie root,
# against ios/stubs (the few Network, Security, BackgroundTasks, UIKit and os signatures it uses;
# there is no Apple SDK here) and the modules PartageFFI (generated, patched as for the tests) and
# Partage (the Swift layer); then the sample app (ios/Sample/PartageSample, SwiftUI) against
# PartageApple and ios/stubs/SwiftUI.swift. It type-checks; it cannot run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -f "$SWIFT_ROOT/.complete" ] || "$REPO/scripts/bindings/install-toolchains.sh" swift
build_ffi
gen="$(generate swift)"
python3 "$REPO/scripts/bindings/swift-cancellation.py" "$gen/PartageFFI.swift" >/dev/null || die "could not patch the generated Swift"
python3 "$REPO/scripts/bindings/swift-error-cases.py" "$gen/PartageFFI.swift" >/dev/null || die "could not patch the generated Swift"

work="/partage-apple-check.$$"
host_work="$SWIFT_ROOT$work"
rm -rf "$host_work"
trap 'rm -rf "$host_work"' EXIT
mkdir -p "$host_work"/{ffi,mod,cache,stubs,apple,layer,sample}
cp "$gen"/PartageFFIC.h "$gen"/PartageFFIC.modulemap "$gen"/PartageFFI.swift "$host_work/ffi/"
cp "$REPO"/ios/stubs/*.swift "$host_work/stubs/"
cp "$REPO"/ios/Sources/PartageApple/*.swift "$host_work/apple/"
cp "$REPO"/bindings/swift/Sources/Partage/*.swift "$host_work/layer/"
cp "$REPO"/ios/Sample/PartageSample/*.swift "$host_work/sample/"

step "swiftc -typecheck: PartageApple and the sample app against ios/stubs, inside $SWIFT_ROOT"
in_swift_root sh -eu -c '
    w=$1
    common="-module-cache-path $w/cache -Xcc -fmodule-map-file=$w/ffi/PartageFFIC.modulemap -I $w/ffi -I $w/mod"
    for stub in $w/stubs/*.swift; do
        name=$(basename "$stub" .swift)
        swiftc $common -parse-as-library -emit-module -module-name "$name" -emit-module-path "$w/mod/$name.swiftmodule" "$stub"
    done
    swiftc $common -parse-as-library -emit-module -module-name PartageFFI -emit-module-path $w/mod/PartageFFI.swiftmodule $w/ffi/PartageFFI.swift
    swiftc $common -parse-as-library -emit-module -module-name Partage -emit-module-path $w/mod/Partage.swiftmodule $w/layer/*.swift
    swiftc $common -parse-as-library -typecheck -continue-building-after-errors -module-name PartageApple $w/apple/*.swift
    # Its interface, for the sample (emitting a module may skip function bodies: hence both).
    swiftc $common -parse-as-library -emit-module -module-name PartageApple -emit-module-path $w/mod/PartageApple.swiftmodule $w/apple/*.swift
    echo "PartageApple: type-checks"
    # The sample is an app target (Swift 5 language mode, as its Xcode project): @main, SwiftUI.
    swiftc $common -parse-as-library -typecheck -continue-building-after-errors -module-name PartageSample $w/sample/*.swift
    echo "PartageSample: type-checks"
' sh "$work" || die "the Apple glue or the sample does not type-check"
echo "apple glue and sample: type-check ($(ls "$REPO"/ios/Sources/PartageApple/*.swift | wc -l) glue files, $(ls "$REPO"/ios/Sample/PartageSample/*.swift | wc -l) sample files, against $(ls "$REPO"/ios/stubs/*.swift | wc -l) stubs)"
