// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): Compose UI text and graphics types, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.compose.ui:ui-text).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui.text

import androidx.compose.runtime.Stable

@Stable
class TextStyle {
    companion object {
        @Stable val Default: TextStyle = TextStyle()
    }
}
