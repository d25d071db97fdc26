# Shared paths for the binding scripts (sourced, not run).
# Toolchains live outside the repository so that a fresh clone on the same machine reuses them.
: "${PARTAGE_TOOLCHAINS:=/var/cache/partage-toolchains}"
KOTLIN_VERSION=2.4.20
KOTLIN_HOME="$PARTAGE_TOOLCHAINS/kotlin-compiler-$KOTLIN_VERSION"
SWIFT_ROOT="$PARTAGE_TOOLCHAINS/swift-root"
JNA_JAR=/usr/share/java/jna.jar
# JUnit 4 (Debian's junit4, with hamcrest) for the Android module's plain-JVM unit tests.
JUNIT_JAR=/usr/share/java/junit4.jar
HAMCREST_JAR=/usr/share/java/hamcrest-core.jar
export PARTAGE_TOOLCHAINS KOTLIN_VERSION KOTLIN_HOME SWIFT_ROOT JNA_JAR JUNIT_JAR HAMCREST_JAR

# Runs a command inside the Swift root. swiftc needs /proc (the dynamic loader resolves $ORIGIN
# through it), so /proc is mounted in a private mount namespace that disappears with the command:
# nothing stays mounted on the host.
in_swift_root() {
    unshare --mount --propagation private --fork -- sh -c '
        root=$1; shift
        mount -t proc proc "$root/proc" || exit 1
        exec chroot "$root" env HOME=/tmp PATH=/usr/bin:/bin:/usr/sbin:/sbin "$@"
    ' sh "$SWIFT_ROOT" "$@"
}
