#!/usr/bin/env bash
# Runs every binding test (Python, Kotlin, Swift) against the host build of libpartage_ffi.so,
# then type-checks the Android and Apple glue; each one even if an earlier one failed, then reports. Each
# script installs its toolchain first if it is missing (scripts/bindings/install-toolchains.sh).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

failed=()
for script in test-python test-kotlin test-swift check-android-glue check-apple-glue; do
    printf '\n==> bindings: %s\n' "$script"
    start=$SECONDS
    if "$here/$script.sh"; then
        echo "[$script: ok in $((SECONDS - start)) s]"
    else
        echo "[$script: FAILED after $((SECONDS - start)) s]"
        failed+=("$script")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "binding checks failed: ${failed[*]}" >&2
    exit 1
fi
echo "binding checks: python, kotlin and swift tests passed; the Android glue and sample compile (and its JVM unit tests pass); the Apple glue and sample type-check"
