package org.partage

import kotlinx.coroutines.*
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.*
import org.partage.ffi.*
import java.io.File

fun storageTests() {
    test("close releases the data directory; reopening finds everything; export and import") {
        val dir = tempDir()
        val backup = File(tempDir(), "backup.json")
        val restored = tempDir()
        try {
            Node.open(dir.path).use { node ->
                node.createIdentity("Fanny")
                val hood = node.createNeighbourhood("Village")
                node.addItem(hood.id, ItemDraft(title = "Tente", category = Category.CAMPING, depositCents = 2000L))
                val summary = node.exportToFile(backup.path)
                expectEq(1, summary.items, "exported items")
            }
            Node.open(dir.path).use { node ->
                expectEq("Fanny", node.identity()?.name, "identity after reopening")
                val tent = node.listItems(ItemFilter(category = Category.CAMPING)).single()
                expectEq(2000L, tent.depositCents, "deposit after reopening")
                val edited = node.editItem(tent.id, ItemPatch(clearDeposit = true))
                expectEq(null, edited.depositCents, "deposit cleared")
            }
            Node.open(restored.path).use { node ->
                expectEq(1, node.importFromFile(backup.path).items, "imported items")
                expectEq(listOf("Tente"), node.listItems(ItemFilter()).map { it.title }, "restored items")
            }
        } finally {
            listOf(dir, backup.parentFile, restored).forEach(File::deleteRecursively)
        }
    }
}
