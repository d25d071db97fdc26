#!/usr/bin/env bash
# Installs (or reuses) the toolchains that the binding tests need, outside the repository:
#   kotlin  JDK + JNA (Debian packages) and kotlinc from the npm package `kotlin-compiler`
#   swift   a Debian trixie root made with debootstrap, with `swiftlang` inside it
#   python  pytest (pip)
# Usage: scripts/bindings/install-toolchains.sh [kotlin] [swift] [python]   (default: all)
# Idempotent: each step leaves a marker when it has finished and is skipped next time.
# Cache folder: $PARTAGE_TOOLCHAINS (default /var/cache/partage-toolchains).
# Needs root (apt-get, debootstrap, chroot). Fails loudly, naming the step that failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/bindings/env.sh
. "$here/env.sh"

die() {
    echo "install-toolchains: $*" >&2
    exit 1
}
log() {
    printf '[install-toolchains %s] %s\n' "$(date +%T)" "$*"
}

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, debootstrap and chroot need it)"
mkdir -p "$PARTAGE_TOOLCHAINS" || die "cannot create cache folder $PARTAGE_TOOLCHAINS"

# One installer at a time: a second caller waits for the first, then finds everything ready.
exec 9>"$PARTAGE_TOOLCHAINS/.install.lock"
flock 9 || die "cannot lock $PARTAGE_TOOLCHAINS/.install.lock"

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
        apt_updated=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        || die "apt-get install $* failed"
}

install_kotlin() {
    local need=()
    command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
    [ -f "$JNA_JAR" ] || need+=(libjna-java)
    [ -f "$JUNIT_JAR" ] && [ -f "$HAMCREST_JAR" ] || need+=(junit4)
    [ ${#need[@]} = 0 ] || apt_install "${need[@]}"
    [ -f "$JNA_JAR" ] || die "libjna-java installed but $JNA_JAR is missing"
    [ -f "$JUNIT_JAR" ] && [ -f "$HAMCREST_JAR" ] || die "junit4 installed but $JUNIT_JAR or $HAMCREST_JAR is missing"

    if [ -f "$KOTLIN_HOME/.complete" ]; then
        log "kotlinc $KOTLIN_VERSION: reusing $KOTLIN_HOME"
        return
    fi
    command -v npm >/dev/null 2>&1 || die "npm is needed to fetch kotlin-compiler (apt-get install npm)"
    log "npm pack kotlin-compiler@$KOTLIN_VERSION"
    local tmp
    tmp="$(mktemp -d "$PARTAGE_TOOLCHAINS/kotlin.XXXXXX")"
    (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null) \
        || die "npm pack kotlin-compiler@$KOTLIN_VERSION failed"
    tar -xzf "$tmp"/kotlin-compiler-*.tgz -C "$tmp" || die "cannot unpack kotlin-compiler"
    [ -x "$tmp/package/bin/kotlinc" ] || chmod +x "$tmp"/package/bin/* 2>/dev/null || true
    for jar in kotlin-stdlib.jar kotlinx-coroutines-core-jvm.jar kotlin-test.jar; do
        [ -f "$tmp/package/lib/$jar" ] || die "kotlin-compiler package has no lib/$jar"
    done
    rm -rf "$KOTLIN_HOME"
    mv "$tmp/package" "$KOTLIN_HOME"
    rm -rf "$tmp"
    touch "$KOTLIN_HOME/.complete"
    log "kotlinc installed in $KOTLIN_HOME"
}

install_swift() {
    if [ -f "$SWIFT_ROOT/.complete" ]; then
        log "swift: reusing $SWIFT_ROOT"
        return
    fi
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    if [ ! -f "$SWIFT_ROOT/.debootstrap-complete" ]; then
        log "debootstrap trixie into $SWIFT_ROOT (about 2.5 minutes)"
        rm -rf "$SWIFT_ROOT"
        debootstrap --variant=minbase --include=ca-certificates trixie "$SWIFT_ROOT" \
            "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
            || die "debootstrap trixie failed (see $SWIFT_ROOT/debootstrap/debootstrap.log)"
        touch "$SWIFT_ROOT/.debootstrap-complete"
    fi
    log "installing swiftlang inside the trixie root (about 40 s)"
    cp /etc/resolv.conf "$SWIFT_ROOT/etc/resolv.conf" 2>/dev/null || true
    chroot "$SWIFT_ROOT" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        || die "apt-get update inside $SWIFT_ROOT failed"
    chroot "$SWIFT_ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends swiftlang libswiftlang swiftlang-dev libc6-dev \
        || die "installing swiftlang inside $SWIFT_ROOT failed"
    in_swift_root swiftc --version >/dev/null 2>&1 || die "swiftc does not run inside $SWIFT_ROOT"
    chroot "$SWIFT_ROOT" apt-get clean || true
    touch "$SWIFT_ROOT/.complete"
    log "swift installed in $SWIFT_ROOT"
}

install_python() {
    if python3 -c 'import pytest' >/dev/null 2>&1; then
        log "pytest: already installed"
        return
    fi
    log "pip install pytest"
    python3 -m pip install --quiet pytest || die "pip install pytest failed"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(kotlin swift python)
for t in "${targets[@]}"; do
    start=$SECONDS
    case "$t" in
    kotlin) install_kotlin ;;
    swift) install_swift ;;
    python) install_python ;;
    *) die "unknown toolchain '$t' (expected kotlin, swift or python)" ;;
    esac
    log "$t ready in $((SECONDS - start)) s"
done
