#!/usr/bin/env bash
# Type-checks the Android glue (android/partage/src/main/kotlin) with kotlinc on this machine,
# against android/stubs (the few Android/AndroidX signatures it uses; there is no Android SDK
# here) and the Kotlin bindings + layer compiled by test-kotlin.sh, with the whole sample app (its
# Compose UI included, against Compose/Activity/lifecycle-compose signature stubs). It compiles; it
# cannot run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -f "$KOTLIN_HOME/.complete" ] && [ -f "$JNA_JAR" ] && [ -f "$JUNIT_JAR" ] && [ -f "$HAMCREST_JAR" ] \
    || "$REPO/scripts/bindings/install-toolchains.sh" kotlin
target="$(target_dir)" || die "cargo metadata failed"
jar="$target/bindings/kotlin-test.jar"
[ -f "$jar" ] || die "$jar is missing: run scripts/bindings/test-kotlin.sh first"

step "kotlinc: Android glue and sample against API stubs (with the Compose compiler plugin)"
lib="$KOTLIN_HOME/lib"
# Everything in one compile: the stubs, the glue, and the whole sample (its process code and its
# Compose UI). The Compose compiler plugin (shipped with kotlinc) runs its front-end checks
# (@Composable calls only from composable contexts, none inside `remember { }`, ...); its code
# generation needs the real Compose runtime, absent here, so it is skipped, which it reports with
# one warning. That warning is the only one allowed: any other fails the check (as -Werror would).
mapfile -t sources < <(find "$REPO/android/stubs" "$REPO/android/partage/src/main/kotlin" "$REPO/android/sample/src/main/kotlin" -name '*.kt' | sort)
log="$target/bindings/android-glue-check.log"
status=0
"$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -cp "$JNA_JAR:$lib/kotlinx-coroutines-core-jvm.jar:$jar" \
    -Xplugin="$lib/compose-compiler-plugin.jar" \
    -P plugin:androidx.compose.compiler.plugins.kotlin:skipIrLoweringIfRuntimeNotFound=true \
    "${sources[@]}" -d "$target/bindings/android-glue-check.jar" >"$log" 2>&1 || status=$?
cat "$log"
[ "$status" -eq 0 ] || die "the Android glue or sample does not compile"
expected='warning: the Compose Compiler requires the Compose Runtime to be on the classpath'
if grep -E '(^|: )warning:' "$log" | grep -vqF "$expected"; then
    die "kotlinc warned (warnings are errors here)"
fi
grep -qF "$expected" "$log" || die "the Compose compiler plugin did not run"
echo "android glue and sample: compile ($(printf '%s\n' "${sources[@]}" | grep -c '/android/stubs/') stub files, $(printf '%s\n' "${sources[@]}" | grep -vc '/android/stubs/') glue and sample files, Compose checks on)"

# The glue's plain-JVM code (no Android API) also runs: its unit tests (android/partage/src/test,
# JUnit 4, what Gradle's testDebugUnitTest runs on a machine with the SDK).
step "JUnit: android/partage/src/test on the desktop JVM"
mapfile -t tests < <(find "$REPO/android/partage/src/test/kotlin" -name '*Test.kt' | sort)
unit_jar="$target/bindings/android-unit-tests.jar"
"$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -Werror -cp "$JUNIT_JAR" \
    "$REPO/android/partage/src/main/kotlin/org/partage/android/PeerAddresses.kt" "${tests[@]}" -d "$unit_jar" \
    || die "the Android unit tests do not compile"
classes=()
for t in "${tests[@]}"; do
    classes+=("org.partage.android.$(basename "$t" .kt)")
done
java -cp "$JUNIT_JAR:$HAMCREST_JAR:$lib/kotlin-stdlib.jar:$unit_jar" org.junit.runner.JUnitCore "${classes[@]}" \
    || die "Android unit tests failed"
