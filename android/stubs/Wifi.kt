// Type-check stub (scripts/bindings/check-android-glue.sh): the few Android/AndroidX signatures the
// glue in partage/src/main uses, copied from the SDK. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.net.wifi
open class WifiManager {
    open inner class MulticastLock {
        fun setReferenceCounted(b: Boolean) {}
        fun acquire() {}
        fun release() {}
        val isHeld: Boolean get() = false
    }
    fun createMulticastLock(tag: String): MulticastLock = MulticastLock()
}
