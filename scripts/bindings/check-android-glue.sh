#!/usr/bin/env bash
# Type-checks the Android glue (android/partage/src/main/kotlin) with kotlinc on this machine,
# against android/stubs (the few Android/AndroidX signatures it uses; there is no Android SDK
# here) and the Kotlin bindings + layer compiled by test-kotlin.sh, with the sample's node holder.
# It compiles; it cannot run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -f "$KOTLIN_HOME/.complete" ] && [ -f "$JNA_JAR" ] || "$REPO/scripts/bindings/install-toolchains.sh" kotlin
target="$(target_dir)" || die "cargo metadata failed"
jar="$target/bindings/kotlin-test.jar"
[ -f "$jar" ] || die "$jar is missing: run scripts/bindings/test-kotlin.sh first"

step "kotlinc: Android glue against API stubs"
lib="$KOTLIN_HOME/lib"
# The sample's process-level code too (its node holder); its Compose UI (MainActivity) is not
# stubbed here.
mapfile -t sources < <( (find "$REPO/android/stubs" "$REPO/android/partage/src/main/kotlin" -name '*.kt'
    find "$REPO/android/sample/src/main/kotlin" -name '*.kt' ! -name MainActivity.kt) | sort)
"$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -Werror -cp "$JNA_JAR:$lib/kotlinx-coroutines-core-jvm.jar:$jar" \
    "${sources[@]}" -d "$target/bindings/android-glue-check.jar" || die "the Android glue does not compile"
echo "android glue: compiles (${#sources[@]} files)"
