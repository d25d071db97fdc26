// Versions: AGP 8.13 (compileSdk/targetSdk 36), Kotlin 2.4.20 (the compiler the JVM tests use,
// scripts/bindings/env.sh). Google's Maven is not reachable from the project's CI machine, so
// these were not resolved there: see README.md, "Still to do on a machine with the Android SDK".
plugins {
    id("com.android.library") version "8.13.0" apply false
    id("com.android.application") version "8.13.0" apply false
    id("org.jetbrains.kotlin.android") version "2.4.20" apply false
    id("org.jetbrains.kotlin.plugin.compose") version "2.4.20" apply false
}
