package org.partage.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import org.partage.ffi.Node
import org.partage.ffi.SecretStore
import org.partage.ffi.SecretStoreException
import java.io.File
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Keeps Partage's member and device secrets out of the data directory (ADR 0018): each secret is
 * encrypted with an AES-256-GCM key that lives in the Android Keystore (never exported, never in a
 * backup) and the ciphertext is written under [Context.getNoBackupFilesDir] (excluded from Auto
 * Backup). A copy of the app's files on another phone therefore carries no usable key: opening the
 * node there fails with `PartageException.Storage` and the user links that phone again.
 *
 * Use with [Node.openWithSecretStore]; open with the same store every time.
 */
class KeystoreSecretStore(
    context: Context,
    private val keyAlias: String = DEFAULT_KEY_ALIAS,
) : SecretStore {
    private val dir = File(context.noBackupFilesDir, "partage-secrets")

    override fun load(name: String): ByteArray? =
        guarded("read $name") {
            val file = fileOf(name)
            if (!file.exists()) return@guarded null
            val sealed = file.readBytes()
            val ivSize = sealed.firstOrNull()?.toInt() ?: throw SecretStoreException.Failed("$name is empty")
            if (ivSize <= 0 || sealed.size <= 1 + ivSize) throw SecretStoreException.Failed("$name is damaged")
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(TAG_BITS, sealed, 1, ivSize))
            cipher.doFinal(sealed, 1 + ivSize, sealed.size - 1 - ivSize)
        }

    override fun save(
        name: String,
        secret: ByteArray,
    ) = guarded("save $name") {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        val iv = cipher.iv
        val sealed = byteArrayOf(iv.size.toByte()) + iv + cipher.doFinal(secret)
        dir.mkdirs()
        // Written whole, then renamed: a crash never leaves half a key.
        val tmp = File(dir, "$name.tmp")
        tmp.writeBytes(sealed)
        if (!tmp.renameTo(fileOf(name))) throw SecretStoreException.Failed("could not replace $name")
    }

    /** Deletes the wrapped secret (the Keystore key stays: it wraps the other installations' secrets too). */
    override fun delete(name: String) =
        guarded("delete $name") {
            val file = fileOf(name)
            if (file.exists() && !file.delete()) throw SecretStoreException.Failed("could not delete $name")
        }

    private fun fileOf(name: String): File {
        // Names are Partage's own ("partage.device.<hex>"); refuse anything that is not a plain file name.
        if (!NAME.matches(name)) throw SecretStoreException.Failed("not a secret name: $name")
        return File(dir, name)
    }

    /** The Keystore key that wraps the secrets, made on first use (hardware-backed where the phone has it). */
    private fun wrappingKey(): SecretKey {
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (keyStore.getKey(keyAlias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec
                .Builder(keyAlias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    /** Runs [block], turning any platform failure into a [SecretStoreException] with its reason. */
    private inline fun <T> guarded(
        what: String,
        block: () -> T,
    ): T =
        try {
            block()
        } catch (e: SecretStoreException) {
            throw e
        } catch (e: Exception) {
            throw SecretStoreException.Failed("could not $what: ${e.javaClass.simpleName}: ${e.message}")
        }

    companion object {
        const val DEFAULT_KEY_ALIAS = "org.partage.secrets"
        private const val ANDROID_KEYSTORE = "AndroidKeyStore"
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val TAG_BITS = 128
        private val NAME = Regex("[a-z0-9.]{1,128}")
    }
}
