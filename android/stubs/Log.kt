// Type-check stub (scripts/bindings/check-android-glue.sh): the few Android/AndroidX signatures the
// glue in partage/src/main uses, copied from the SDK. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.util
object Log {
    const val VERBOSE = 2
    const val DEBUG = 3
    const val INFO = 4
    const val WARN = 5
    const val ERROR = 6
    const val ASSERT = 7
    @JvmStatic fun println(priority: Int, tag: String, msg: String): Int = 0
    @JvmStatic fun isLoggable(tag: String, level: Int): Boolean = true
}
