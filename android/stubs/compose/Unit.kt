// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): Compose UI units, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.compose.ui:ui-unit).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui.unit

@JvmInline
value class Dp(val value: Float)

inline val Int.dp: Dp get() = Dp(this.toFloat())

inline val Float.dp: Dp get() = Dp(this)
