// Type-check stub (scripts/bindings/check-android-glue.sh): android.app.Application, written from
// the SDK's signatures. Never packaged; the real SDK replaces it.
@file:Suppress("unused")

package android.app

open class Application : android.content.Context() {
    open fun onCreate() {}
}
