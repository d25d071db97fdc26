// Type-check stub (scripts/bindings/check-android-glue.sh): android.os.Build, written from the
// SDK's signatures. Never packaged; the real SDK replaces it.
@file:Suppress("unused")

package android.os

object Build {
    object VERSION {
        @JvmField val SDK_INT: Int = 36
    }

    object VERSION_CODES {
        const val Q: Int = 29
        const val UPSIDE_DOWN_CAKE: Int = 34
    }
}
