#!/usr/bin/env bash
# Runs every binding test (Python, Kotlin, Swift) against the host build of libpartage_ffi.so,
# each one even if an earlier one failed, then reports. Each script installs its toolchain first
# if it is missing (scripts/bindings/install-toolchains.sh).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

failed=()
for lang in python kotlin swift; do
    printf '\n==> binding tests: %s\n' "$lang"
    start=$SECONDS
    if "$here/test-$lang.sh"; then
        echo "[$lang bindings: ok in $((SECONDS - start)) s]"
    else
        echo "[$lang bindings: FAILED after $((SECONDS - start)) s]"
        failed+=("$lang")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "binding tests failed: ${failed[*]}" >&2
    exit 1
fi
echo "binding tests: python, kotlin and swift passed"
