// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): androidx.activity.compose, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.activity:activity-compose).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.activity.compose

import androidx.activity.ComponentActivity
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionContext

fun ComponentActivity.setContent(
    parent: CompositionContext? = null,
    content: @Composable () -> Unit,
): Unit = throw UnsupportedOperationException("stub")
