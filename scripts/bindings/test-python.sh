#!/usr/bin/env bash
# Generates the Python module next to the host build of libpartage_ffi.so and runs the pytest
# smoke test (bindings/python). Installs pytest first if it is missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

python3 -c 'import pytest' >/dev/null 2>&1 || "$REPO/scripts/bindings/install-toolchains.sh" python
build_ffi
gen="$(generate python)"
cp "$FFI_LIB" "$gen/"

step "pytest bindings/python"
cd "$REPO/bindings/python"
# The layer (bindings/python/partage) imports the generated module (partage_ffi).
PYTHONPATH="$gen:$REPO/bindings/python" python3 -m pytest -q -p no:cacheprovider .
