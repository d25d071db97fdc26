#!/usr/bin/env bash
# Runs one fuzz target under AFL++ (cargo-afl, stable toolchain) for a number of minutes.
#
# Usage: scripts/fuzz.sh TARGET MINUTES        TARGET: frame | ticket | bundle | export | session
#
# - Installs cargo-afl if missing (`cargo install cargo-afl --locked`, which also builds its own
#   AFL++ for this toolchain; Debian's afl++ package is not needed).
# - Builds the target instrumented (fuzz/target/afl, or $PARTAGE_FUZZ_TARGET_DIR), starts from
#   the repository corpus fuzz/corpus/TARGET (seeds and the minimised corpus of earlier runs) and
#   writes everything else to $PARTAGE_FUZZ_OUT/TARGET (default /tmp/partage-fuzz/TARGET), wiped
#   at each start.
# - Afterwards minimises the queue with afl-cmin and replaces fuzz/corpus/TARGET/min-* with it,
#   smallest first within PARTAGE_FUZZ_BUDGET_KB (default 256; seed-* files are kept and count);
#   PARTAGE_FUZZ_SAVE=0 leaves the repository alone.
# - Prints one summary line: executions, executions per second, edges, corpus size, crashes.
#
# Not part of CI. Run it niced on a shared machine: `nice -n 19 scripts/fuzz.sh bundle 10`.
# See docs/FUZZING.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD

usage() {
    echo "usage: scripts/fuzz.sh TARGET MINUTES   (TARGET: frame, ticket, bundle, export, session)" >&2
    exit 2
}
[ $# -eq 2 ] || usage
TARGET=$1
MINUTES=$2
case "$TARGET" in frame | ticket | bundle | export | session) ;; *) usage ;; esac
[[ "$MINUTES" =~ ^[0-9]+$ ]] && [ "$MINUTES" -gt 0 ] || usage

OUT=${PARTAGE_FUZZ_OUT:-/tmp/partage-fuzz}/$TARGET
CORPUS=$REPO/fuzz/corpus/$TARGET
# A build directory elsewhere (PARTAGE_FUZZ_TARGET_DIR) helps when the disk is short: /dev/shm.
export CARGO_TARGET_DIR=${PARTAGE_FUZZ_TARGET_DIR:-$REPO/fuzz/target/afl}

# --- tools -------------------------------------------------------------------------------------
if ! cargo afl --version >/dev/null 2>&1; then
    echo "==> installing cargo-afl"
    cargo install cargo-afl --locked
fi
# Builds AFL++ for the current rustc if it is not there yet (says so and fails harmlessly if it is).
cargo afl config --build >/dev/null 2>&1 || true
# cargo-afl's own AFL++ tools first on PATH: afl-cmin runs `afl-showmap` from PATH, and an older
# one (Debian's afl++ 4.04c) does not understand the newer afl-cmin's options.
RUSTC_VERSION=$(rustc -V | awk '{print $2}')
AFL_FUZZ=$(ls -d "${XDG_DATA_HOME:-$HOME/.local/share}"/afl.rs/rustc-"$RUSTC_VERSION"-*/afl.rs-*/afl/bin/afl-fuzz 2>/dev/null | tail -1)
[ -n "$AFL_FUZZ" ] || { echo "cargo-afl's AFL++ not found for rustc $RUSTC_VERSION" >&2; exit 1; }
export PATH="$(dirname "$AFL_FUZZ"):$PATH"

# --- build -------------------------------------------------------------------------------------
echo "==> building $TARGET (instrumented, release)"
(cd fuzz && cargo afl build --release --quiet --bin "$TARGET")
BIN=$CARGO_TARGET_DIR/release/$TARGET

# --- fuzz --------------------------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"
DICT=()
[ -f "fuzz/dict/$TARGET.dict" ] && DICT=(-x "fuzz/dict/$TARGET.dict")
# No CPU frequency or core-dump tuning needed (or wanted) on a shared machine; no binding to a
# core (the other one is someone else's); no curses UI (the log gets a status line a minute).
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
export AFL_STATSD=0 AFL_NO_CRASH_README=1
SECONDS_TO_RUN=$((MINUTES * 60))
echo "==> fuzzing $TARGET for $MINUTES min; output in $OUT (log: $OUT/afl.log)"
# -t: time limit per input in ms (an accepted bundle or export reopens a store). afl-fuzz itself
# rather than `cargo afl fuzz`, which adds -c0: a CmpLog pass that needs LLVM plugins, hence a
# nightly build, and only costs time on this stable build.
afl-fuzz -i "$CORPUS" -o "$OUT" -V "$SECONDS_TO_RUN" -t 2000 "${DICT[@]}" -- "$BIN" \
    >"$OUT/afl.log" 2>&1 || {
    echo "afl-fuzz failed; last lines of $OUT/afl.log:" >&2
    tail -20 "$OUT/afl.log" >&2
    exit 1
}

STATS=$OUT/default/fuzzer_stats
stat() { sed -n "s/^$1 *: *//p" "$STATS"; }
RUN_TIME=$(stat run_time)
EXECS=$(stat execs_done)
CRASHES=$(stat saved_crashes)
HANGS=$(stat saved_hangs)
EDGES=$(stat edges_found)
TOTAL_EDGES=$(stat total_edges)
CVG=$(stat bitmap_cvg)
QUEUE=$(stat corpus_count)

# --- minimise into the repository --------------------------------------------------------------
# afl-cmin.bash, not the Python afl-cmin: with these persistent-mode targets the latter's batch
# afl-showmap records no coverage and keeps nothing. Then the smallest files that fit in
# $PARTAGE_FUZZ_BUDGET_KB (default 256) are kept: the repository corpus stays small.
MIN_COUNT=-
if [ "${PARTAGE_FUZZ_SAVE:-1}" != 0 ]; then
    echo "==> minimising the queue (afl-cmin.bash)"
    rm -rf "$OUT/min"
    if afl-cmin.bash -i "$OUT/default/queue" -o "$OUT/min" -t 5000 -- "$BIN" >"$OUT/cmin.log" 2>&1; then
        find "$CORPUS" -maxdepth 1 -name 'min-*' -delete
        BUDGET=$((${PARTAGE_FUZZ_BUDGET_KB:-256} * 1024))
        TOTAL=$(find "$CORPUS" -maxdepth 1 -type f -printf '%s\n' | awk '{t += $1} END {print t + 0}')
        KEPT=0
        DROPPED=0
        while IFS=$'\t' read -r size f; do
            case "$(basename "$f")" in *orig:seed-*) continue ;; esac
            if [ $((TOTAL + size)) -le "$BUDGET" ]; then
                cp "$f" "$CORPUS/min-$(sha1sum "$f" | cut -c1-16)"
                TOTAL=$((TOTAL + size))
                KEPT=$((KEPT + 1))
            else
                DROPPED=$((DROPPED + 1))
            fi
        done < <(find "$OUT/min" -maxdepth 1 -type f -printf '%s\t%p\n' | sort -n)
        MIN_COUNT=$(find "$CORPUS" -maxdepth 1 -type f | wc -l)
        echo "    afl-cmin kept $(find "$OUT/min" -maxdepth 1 -type f | wc -l) inputs; fuzz/corpus/$TARGET now" \
            "$MIN_COUNT files, $((TOTAL / 1024)) KB ($DROPPED of the largest left out for size)"
    else
        echo "    afl-cmin failed (see $OUT/cmin.log); repository corpus unchanged" >&2
    fi
fi

if [ "${CRASHES:-0}" != 0 ] || [ "${HANGS:-0}" != 0 ]; then
    echo "==> crashes in $OUT/default/crashes, hangs in $OUT/default/hangs; reproduce with:"
    echo "    (cd fuzz && cargo run --release --bin replay -- $TARGET $OUT/default/crashes)"
fi
awk -v t="$TARGET" -v rt="$RUN_TIME" -v ex="$EXECS" -v e="$EDGES" -v te="$TOTAL_EDGES" -v c="$CVG" \
    -v q="$QUEUE" -v m="$MIN_COUNT" -v cr="$CRASHES" -v h="$HANGS" 'BEGIN {
    printf "SUMMARY %s: %d s, %d execs (%.0f/s), edges %s/%s (%s), queue %s, minimised corpus %s, crashes %s, hangs %s\n",
        t, rt, ex, (rt > 0 ? ex / rt : 0), e, te, c, q, m, cr, h }'
