#!/usr/bin/env bash
# The one test command for the whole repository: formatting, lints, then every test.
# Usage: scripts/test.sh            (from anywhere; it works from the repository root)
# Honours CARGO_TARGET_DIR if it is already set; sets nothing itself.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() {
    printf '\n==> %s\n' "$*"
}

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
    step "cargo nextest run --workspace"
    cargo nextest run --workspace
else
    step "cargo test --workspace (cargo-nextest not installed)"
    cargo test --workspace
fi

step "all checks passed"
