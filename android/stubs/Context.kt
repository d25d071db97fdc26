// Type-check stub (scripts/bindings/check-android-glue.sh): the few Android/AndroidX signatures the
// glue in partage/src/main uses, copied from the SDK. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.content
open class Context {
    open fun <T> getSystemService(c: Class<T>): T = throw UnsupportedOperationException()
    open val applicationContext: Context get() = this
    open val filesDir: java.io.File get() = java.io.File("/tmp")
    open val noBackupFilesDir: java.io.File get() = java.io.File("/tmp")
    open val mainExecutor: java.util.concurrent.Executor get() = java.util.concurrent.Executor { it.run() }
}
