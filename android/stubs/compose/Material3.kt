// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): Material 3 for Compose, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.compose.material3:material3).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.material3

import androidx.compose.foundation.layout.RowScope
import androidx.compose.runtime.Composable
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.TextStyle

class Typography(
    val titleMedium: TextStyle = TextStyle.Default,
    val bodySmall: TextStyle = TextStyle.Default,
)

class ColorScheme

class Shapes

object MaterialTheme {
    val colorScheme: ColorScheme
        @Composable @ReadOnlyComposable get() = throw UnsupportedOperationException("stub")

    val typography: Typography
        @Composable @ReadOnlyComposable get() = throw UnsupportedOperationException("stub")

    val shapes: Shapes
        @Composable @ReadOnlyComposable get() = throw UnsupportedOperationException("stub")
}

@Composable
fun MaterialTheme(
    colorScheme: ColorScheme = MaterialTheme.colorScheme,
    shapes: Shapes = MaterialTheme.shapes,
    typography: Typography = MaterialTheme.typography,
    content: @Composable () -> Unit,
): Unit = throw UnsupportedOperationException("stub")

val LocalTextStyle = staticCompositionLocalOf { TextStyle.Default }

@Composable
fun Text(
    text: String,
    modifier: Modifier = Modifier,
    maxLines: Int = Int.MAX_VALUE,
    style: TextStyle = LocalTextStyle.current,
): Unit = throw UnsupportedOperationException("stub")

@Composable
fun Button(
    onClick: () -> Unit,
    modifier: Modifier = Modifier,
    enabled: Boolean = true,
    content: @Composable RowScope.() -> Unit,
): Unit = throw UnsupportedOperationException("stub")

@Composable
fun TextButton(
    onClick: () -> Unit,
    modifier: Modifier = Modifier,
    enabled: Boolean = true,
    content: @Composable RowScope.() -> Unit,
): Unit = throw UnsupportedOperationException("stub")

@Composable
fun OutlinedTextField(
    value: String,
    onValueChange: (String) -> Unit,
    modifier: Modifier = Modifier,
    enabled: Boolean = true,
    readOnly: Boolean = false,
    textStyle: TextStyle = LocalTextStyle.current,
    label: @Composable (() -> Unit)? = null,
    placeholder: @Composable (() -> Unit)? = null,
    singleLine: Boolean = false,
): Unit = throw UnsupportedOperationException("stub")
