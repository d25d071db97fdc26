// Signature stub, not the real SDK (scripts/bindings/check-android-glue.sh): android.os.Bundle.
// Never packaged; the real SDK replaces it.
@file:Suppress("unused")

package android.os

class Bundle
