// Signature stub, not the real library (scripts/bindings/check-android-glue.sh): androidx.activity.ComponentActivity, written
// from the AndroidX API reference with the real package, names, parameter names, types and defaults
// of the parts the sample uses (other parameters left out). Never packaged; Gradle uses the real
// artifact (androidx.activity:activity).
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.activity

import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner

open class ComponentActivity :
    android.app.Activity(),
    LifecycleOwner {
    override val lifecycle: Lifecycle get() = throw UnsupportedOperationException("stub")

    override fun onCreate(savedInstanceState: android.os.Bundle?) {}
}
