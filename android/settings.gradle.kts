// Partage for Android: the library module (AAR) and a small sample app.
// Build: see README.md in this folder (needs the Android SDK + NDK and cargo-ndk).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "partage-android"
include(":partage", ":sample")
