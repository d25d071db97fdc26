// Type-check stub (scripts/bindings/check-android-glue.sh): android.security.keystore, written from
// the SDK's signatures. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER")

package android.security.keystore

import java.security.spec.AlgorithmParameterSpec

object KeyProperties {
    const val KEY_ALGORITHM_AES: String = "AES"
    const val PURPOSE_ENCRYPT: Int = 1
    const val PURPOSE_DECRYPT: Int = 2
    const val BLOCK_MODE_GCM: String = "GCM"
    const val ENCRYPTION_PADDING_NONE: String = "NoPadding"
}

class KeyGenParameterSpec private constructor() : AlgorithmParameterSpec {
    class Builder(
        keystoreAlias: String,
        purposes: Int,
    ) {
        fun setBlockModes(vararg blockModes: String): Builder = this

        fun setEncryptionPaddings(vararg paddings: String): Builder = this

        fun setKeySize(keySize: Int): Builder = this

        fun build(): KeyGenParameterSpec = throw UnsupportedOperationException()
    }
}
