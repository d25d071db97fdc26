// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): androidx.lifecycle.compose, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.lifecycle:lifecycle-runtime-compose).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.lifecycle.compose

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ProvidableCompositionLocal
import androidx.compose.runtime.State
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.StateFlow
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext

val LocalLifecycleOwner: ProvidableCompositionLocal<LifecycleOwner> =
    staticCompositionLocalOf { throw IllegalStateException("CompositionLocal LocalLifecycleOwner not present") }

@Composable
fun <T> StateFlow<T>.collectAsStateWithLifecycle(
    lifecycleOwner: LifecycleOwner = LocalLifecycleOwner.current,
    minActiveState: Lifecycle.State = Lifecycle.State.STARTED,
    context: CoroutineContext = EmptyCoroutineContext,
): State<T> = throw UnsupportedOperationException("stub")

@Composable
fun <T> Flow<T>.collectAsStateWithLifecycle(
    initialValue: T,
    lifecycleOwner: LifecycleOwner = LocalLifecycleOwner.current,
    minActiveState: Lifecycle.State = Lifecycle.State.STARTED,
    context: CoroutineContext = EmptyCoroutineContext,
): State<T> = throw UnsupportedOperationException("stub")
