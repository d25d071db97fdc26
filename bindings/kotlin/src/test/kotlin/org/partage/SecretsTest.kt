package org.partage

import org.partage.ffi.ItemDraft
import org.partage.ffi.Node
import org.partage.ffi.PartageException
import org.partage.ffi.SecretStore
import org.partage.ffi.eraseInstallation
import java.io.File
import java.util.concurrent.ConcurrentHashMap

/** A SecretStore in memory, standing in for the Android Keystore. */
class MemorySecretStore : SecretStore {
    val secrets = ConcurrentHashMap<String, ByteArray>()

    override fun load(name: String): ByteArray? = secrets[name]?.copyOf()

    override fun save(
        name: String,
        secret: ByteArray,
    ) {
        secrets[name] = secret.copyOf()
    }

    override fun delete(name: String) {
        secrets.remove(name)
    }
}

/** Whether [secret] occurs in [file], as raw bytes or as lowercase hex text. */
fun fileContains(
    file: File,
    secret: ByteArray,
): Boolean {
    val bytes = file.readBytes()
    val hex = secret.joinToString("") { "%02x".format(it) }.toByteArray()
    return listOf(secret, hex).any { needle ->
        (0..bytes.size - needle.size).any { start -> needle.indices.all { bytes[start + it] == needle[it] } }
    }
}

/** Names of the files under [dir] that contain [secret] (raw or hex). */
fun filesContaining(
    dir: File,
    secret: ByteArray,
): List<String> = dir.walk().filter { it.isFile && fileContains(it, secret) }.map { it.name }.toList()

fun secretsTests() {
    test("with a SecretStore, no secret key is in the data directory, and the node reopens with the store's keys") {
        val dir = tempDir()
        val elsewhere = tempDir()
        val store = MemorySecretStore()
        try {
            val me =
                Node.openWithSecretStore(dir.path, store).use { node ->
                    val me = node.createIdentity("Alice")
                    val hood = node.createNeighbourhood("Rue")
                    node.addItem(hood.id, ItemDraft(title = "Perceuse"))
                    node.setName("Alice B")
                    expectEq(setOf("partage.device.${me.deviceId}", "partage.member.${me.memberId}"), store.secrets.keys, "names in the store")
                    check(store.secrets.values.all { it.size == 32 }) { "32-byte secrets" }
                    // The search finds keys where they are: a plain export (the user's own backup) holds them.
                    val export = File(elsewhere, "backup.partage")
                    node.exportToFile(export.path, null)
                    check(store.secrets.values.all { fileContains(export, it) }) { "the keys are found in a plain export" }
                    node.shutdown()
                    me
                }
            for ((name, secret) in store.secrets) {
                expectEq(emptyList(), filesContaining(dir, secret), "files of the data directory holding $name")
            }

            Node.openWithSecretStore(dir.path, store).use { node ->
                expectEq("Alice B", node.identity()?.name, "name after reopening")
                expectEq(me.deviceId, node.identity()?.deviceId, "device after reopening")
                val hood = node.neighbourhoods().single().id
                expectEq("Scie", node.addItem(hood, ItemDraft(title = "Scie")).title, "signing works with the store's keys")
                node.shutdown()
            }
            val withoutStore = expectThrows<PartageException.Storage> { Node.open(dir.path) }
            check(withoutStore.message!!.contains("secret store")) { "message: ${withoutStore.message}" }
            // A copy of the directory on another device (its store does not have the keys): refused.
            val restored = expectThrows<PartageException.Storage> { Node.openWithSecretStore(dir.path, MemorySecretStore()) }
            check(restored.message!!.contains("missing from the secret store")) { "message: ${restored.message}" }
        } finally {
            dir.deleteRecursively()
            elsewhere.deleteRecursively()
        }
    }

    test("eraseInstallation deletes the keys from the SecretStore and the data directory, and refuses an open node") {
        val parent = tempDir()
        val dir = File(parent, "partage")
        val store = MemorySecretStore()
        try {
            val node = Node.openWithSecretStore(dir.path, store)
            node.createIdentity("Alice")
            node.createNeighbourhood("Rue")
            expectEq(2, store.secrets.size, "keys in the store")
            val open = expectThrows<PartageException.Storage> { eraseInstallation(dir.path, store) }
            check(open.message!!.contains("close that node first")) { "message: ${open.message}" }
            expectEq(2, store.secrets.size, "nothing deleted while the node is open")
            node.shutdown()
            node.close()
            val noStore = expectThrows<PartageException.Storage> { eraseInstallation(dir.path, null) }
            check(noStore.message!!.contains("pass that store")) { "message: ${noStore.message}" }
            eraseInstallation(dir.path, store)
            expectEq(emptyMap<String, ByteArray>(), store.secrets.toMap(), "keys left in the store")
            check(!dir.exists()) { "the data directory is gone" }
            Node.open(dir.path).use { fresh ->
                expectEq(null, fresh.identity(), "a reopened directory starts afresh")
                fresh.shutdown()
            }
        } finally {
            parent.deleteRecursively()
        }
    }

    test("installing a SecretStore on an existing data directory moves the keys out of it") {
        val dir = tempDir()
        try {
            Node.open(dir.path).use { node ->
                node.createIdentity("Bob")
                node.createNeighbourhood("Cour")
                node.shutdown()
            }
            val store = MemorySecretStore()
            Node.openWithSecretStore(dir.path, store).use { node ->
                expectEq(2, store.secrets.size, "keys moved into the store")
                node.shutdown()
            }
            // The store file was rewritten: no old page still holds them.
            for ((name, secret) in store.secrets) {
                expectEq(emptyList(), filesContaining(dir, secret), "files of the data directory holding $name")
            }
            Node.openWithSecretStore(dir.path, store).use { node ->
                expectEq("Bob", node.identity()?.name, "identity after the move")
                node.shutdown()
            }
        } finally {
            dir.deleteRecursively()
        }
    }
}
