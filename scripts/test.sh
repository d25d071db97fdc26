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

# The phone libraries build partage-ffi with --no-default-features, so partage-net without its
# `mdns` and `quic` features: that build must lint clean, refuse NetConfig::mdns and QUIC
# addresses, and sync over TCP (net/tests/no_mdns.rs, no_quic.rs: empty with the default
# features). Only partage-net and libp2p are rebuilt.
step "partage-net --no-default-features (no mDNS, no QUIC, as in the phone libraries): clippy, net/tests/no_mdns.rs, no_quic.rs"
cargo clippy -p partage-net --all-targets --no-default-features -- -D warnings
cargo test -p partage-net --no-default-features --test no_mdns --test no_quic --quiet

# nextest does not run doctests: the examples on Node's main methods and Network::start run here.
step "cargo test --doc -p partage -p partage-net (the rustdoc examples)"
cargo test --doc -p partage -p partage-net --quiet

step "cargo doc --workspace --no-deps --lib (rustdoc warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --lib --quiet

step "examples/embed: open a node, join by ticket, sync over 127.0.0.1, list"
cargo run --quiet -p partage-embed-example

step "benchmark harness smoke run (small workload; no timing thresholds)"
cargo run --quiet -p partage-bench -- --items 200 --members 4 --runs 1 --edits 5 --nodes 3 \
    --mesh 4 --scale-members 5 --scale-items 10 --history 150 --photo-items 10 --home-items 20 --home-members 3 --json \
    | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["full_sync"]["items"] == 200, r["full_sync"]
assert r["workload"]["loans"] == 20, r["workload"]
assert r["convergence"]["nodes"] == 3
assert r["reopen_ms"]["median"] > 0 and r["first_write_after_reopen_ms"]["median"] > 0, r["reopen"]
assert r["first_write_after_warm_up_ms"]["median"] > 0 and r["reopen"]["warm_up_ms"]["median"] >= 0, r["reopen"]
assert r["inventory"]["workload"]["items"] == 200, r["inventory"]["workload"]
assert r["inventory"]["reopen"]["listed"] == 200, r["inventory"]["reopen"]
assert r["wire"]["items"] == 200, r["wire"]
assert r["wire"]["full_sync_wire_bytes_from_server"] > 0, r["wire"]
assert r["samod"]["items"] == 200 and r["samod"]["full_sync_ms"]["median"] > 0, r["samod"]
assert r["samod"]["ratios"]["full_sync_vs_samod"] > 0, r["samod"]
assert r["scale"]["full_sync"]["items"] == 50 and r["scale"]["full_sync"]["documents"] == 5, r["scale"]
assert r["scale"]["automerge_floor"]["documents"] == 5, r["scale"]
assert r["mesh_convergence"]["nodes"] == 4, r["mesh_convergence"]
for mode in ("open", "join"):
    assert r["node_memory"][mode]["items"] == 200, r["node_memory"]
    assert r["node_memory"][mode]["steps"][-1]["rss_delta_kib"] > 0, r["node_memory"]
assert r["history"]["long"]["edits"] == 150 and r["history"]["baseline"]["edits"] == 100, r["history"]
assert r["history"]["long_vs_baseline"]["full_sync_time"] > 0, r["history"]
assert r["history"]["rebased"]["rebased"] and r["history"]["rebased"]["edits"] == 150, r["history"]
assert r["history"]["rebased_vs_baseline"]["snapshot_bytes"] > 0, r["history"]
assert r["photos"]["items"] == 10 and r["photos"]["add_photo_ms"]["median"] > 0, r["photos"]
assert r["photos"]["sync_with_thumbnails"]["thumbnail_bytes"] > 0, r["photos"]
assert r["photos"]["ratio_time"] > 0 and r["photos"]["ratio_bytes"] > 1, r["photos"]
assert r["photos"]["fetch_bytes"] > 0 and r["photos"]["fetch_mb_per_s"] > 0, r["photos"]
print("partage-bench smoke: ok (%d items synced, %d loans)" % (r["full_sync"]["items"], r["workload"]["loans"]))
'

scripts/bindings/test-all.sh # Kotlin (JVM), Swift (trixie root) and Python bindings; installs toolchains if missing

step "all checks passed"
