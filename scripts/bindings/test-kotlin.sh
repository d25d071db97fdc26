#!/usr/bin/env bash
# Compiles the generated Kotlin, the Kotlin layer (bindings/kotlin/src/main) and its tests
# (bindings/kotlin/src/test) with kotlinc, and runs them on the desktop JVM against the host build
# of libpartage_ffi.so. Installs kotlinc and JNA first if they are missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -f "$KOTLIN_HOME/.complete" ] && [ -f "$JNA_JAR" ] || "$REPO/scripts/bindings/install-toolchains.sh" kotlin
build_ffi
gen="$(generate kotlin)"

# No unsigned type in the public API (Java cannot use Kotlin's UInt/ULong): record fields,
# parameters and return types. uniffi's own plumbing (allocation sizes) is left out.
step "no unsigned types in the generated Kotlin API"
unsigned="$(grep -nE '(val|var) \w+: [A-Za-z<]*U(Int|Long|Short|Byte)\b|\b\w+: U(Int|Long|Short|Byte)\??[,)]|fun \w+\(.*\): U(Int|Long|Short|Byte)' \
    "$gen"/org/partage/ffi/*.kt | grep -vE 'allocationSize|fun alloc|fun create|capacity|\blen\b|size: ULong' || true)"
[ -z "$unsigned" ] || die "unsigned types in the public Kotlin API:
$unsigned"
echo "none"

lib="$KOTLIN_HOME/lib"
cp="$JNA_JAR:$lib/kotlinx-coroutines-core-jvm.jar"
out="$GEN_ROOT/kotlin-test.jar"
step "kotlinc (generated bindings, Kotlin layer, tests)"
start=$SECONDS
mapfile -t sources < <(find "$gen" "$REPO/bindings/kotlin/src/main" "$REPO/bindings/kotlin/src/test" -name '*.kt' | sort)
JAVA_OPTS="${JAVA_OPTS:--Xmx1g}" "$KOTLIN_HOME/bin/kotlinc" -nowarn -jvm-target 17 -cp "$cp" "${sources[@]}" -d "$out" \
    || die "kotlinc failed"
echo "compiled ${#sources[@]} files in $((SECONDS - start)) s"

step "run the Kotlin tests"
java -Djna.library.path="$FFI_LIB_DIR" -cp "$cp:$lib/kotlin-stdlib.jar:$out" org.partage.MainKt
