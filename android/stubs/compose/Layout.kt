// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): Compose foundation layout, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.compose.foundation:foundation-layout).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.foundation.layout

import androidx.compose.runtime.Composable
import androidx.compose.runtime.Stable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.Dp

object Arrangement {
    @Stable interface Horizontal

    @Stable interface Vertical

    @Stable interface HorizontalOrVertical : Horizontal, Vertical

    @Stable val Start: Horizontal = object : Horizontal {}
    @Stable val Top: Vertical = object : Vertical {}
    @Stable val Bottom: Vertical = object : Vertical {}
    @Stable val SpaceBetween: HorizontalOrVertical = object : HorizontalOrVertical {}

    @Stable
    fun spacedBy(space: Dp): HorizontalOrVertical = object : HorizontalOrVertical {}
}

interface RowScope {
    @Stable
    fun Modifier.weight(weight: Float, fill: Boolean = true): Modifier
}

interface ColumnScope {
    @Stable
    fun Modifier.weight(weight: Float, fill: Boolean = true): Modifier
}

@Composable
inline fun Row(
    modifier: Modifier = Modifier,
    horizontalArrangement: Arrangement.Horizontal = Arrangement.Start,
    verticalAlignment: Alignment.Vertical = Alignment.Top,
    content: @Composable RowScope.() -> Unit,
): Unit = throw UnsupportedOperationException("stub")

@Composable
inline fun Column(
    modifier: Modifier = Modifier,
    verticalArrangement: Arrangement.Vertical = Arrangement.Top,
    horizontalAlignment: Alignment.Horizontal = Alignment.Start,
    content: @Composable ColumnScope.() -> Unit,
): Unit = throw UnsupportedOperationException("stub")

@Stable
fun Modifier.padding(all: Dp): Modifier = this

@Stable
fun Modifier.padding(horizontal: Dp, vertical: Dp): Modifier = this

@Stable
fun Modifier.fillMaxSize(fraction: Float = 1f): Modifier = this

@Stable
fun Modifier.fillMaxWidth(fraction: Float = 1f): Modifier = this

@Stable
class PaddingValues(all: Dp)
