// Type-check stub (scripts/bindings/check-android-glue.sh): the platform resources used by the
// glue, written from the SDK. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "ClassName")

package android

object R {
    object drawable {
        const val stat_notify_sync: Int = 0x01080083
    }
}
