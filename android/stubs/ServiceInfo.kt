// Type-check stub (scripts/bindings/check-android-glue.sh): android.content.pm.ServiceInfo, written
// from the SDK's signatures. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "ClassName")

package android.content.pm

object ServiceInfo {
    const val FOREGROUND_SERVICE_TYPE_DATA_SYNC: Int = 1
}
