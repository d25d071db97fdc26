// Signature stub, not the real SDK (scripts/bindings/check-android-glue.sh): android.app.Activity and
// android.os.Bundle, written from the SDK's signatures (the parts the sample uses). Never packaged;
// the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER")

package android.app

open class Activity : android.content.Context() {
    val application: Application get() = throw UnsupportedOperationException("stub")

    protected open fun onCreate(savedInstanceState: android.os.Bundle?) {}
}
