// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): Compose UI: Modifier and Alignment, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.compose.ui:ui).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui

import androidx.compose.runtime.Stable

@Stable
interface Modifier {
    infix fun then(other: Modifier): Modifier = if (other === Modifier) this else other

    companion object : Modifier {
        override infix fun then(other: Modifier): Modifier = other
    }
}

@Stable
fun interface Alignment {
    fun align(size: Long, space: Long): Long

    @Stable
    fun interface Horizontal {
        fun align(size: Int, space: Int): Int
    }

    @Stable
    fun interface Vertical {
        fun align(size: Int, space: Int): Int
    }

    companion object {
        @Stable val Start: Horizontal = Horizontal { _, _ -> 0 }
        @Stable val CenterHorizontally: Horizontal = Horizontal { size, space -> (space - size) / 2 }
        @Stable val Top: Vertical = Vertical { _, _ -> 0 }
        @Stable val CenterVertically: Vertical = Vertical { size, space -> (space - size) / 2 }
    }
}
