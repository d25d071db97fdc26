package org.partage

import org.partage.ffi.partageVersion

fun main() {
    println("Partage ${partageVersion()}: Kotlin bindings on the JVM")
    loggingTests()
    networkTests()
    backgroundTests()
    loanTests()
    offlineTests()
    eventTests()
    sharedEventsTests()
    errorTests()
    storageTests()
    secretsTests()
    photoTests()
    finish()
}
