package org.partage

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.partage.ffi.Category
import org.partage.ffi.EventListener
import org.partage.ffi.ImportReport
import org.partage.ffi.ItemDraft
import org.partage.ffi.ItemFilter
import org.partage.ffi.ItemPatch
import org.partage.ffi.LoanFilter
import org.partage.ffi.LoanState
import org.partage.ffi.Reminder
import org.partage.ffi.Node
import org.partage.ffi.NodeEvent
import org.partage.ffi.PartageException
import org.partage.ffi.partageVersion
import java.io.File
import java.time.LocalDate
import java.time.ZoneOffset
import java.util.concurrent.atomic.AtomicInteger

/** Moves what [to] lacks of [hood] from [from], as opaque bytes (what a file or QR code would carry). */
suspend fun transfer(
    from: Node,
    to: Node,
    hood: String,
): ImportReport = to.applySyncBundle(from.syncBundle(hood, to.syncSummary(hood)))

fun main() {
    println("Partage ${partageVersion()}: Kotlin bindings on the JVM")

    test("two nodes: join by ticket, an item added on one arrives on the other through the Flow") {
        withNodes(2) { (alice, bob) ->
            alice.init("Alice")
            bob.init("Bob")
            val hood = alice.createNeighbourhood("Rue des Lilas")
            val ticket = alice.invite(hood.id, 7u, listOf("/ip4/127.0.0.1/tcp/4001"))
            check(ticket.startsWith("partage1")) { "ticket: $ticket" }
            val joined = bob.join(ticket)
            expectEq(hood.id, joined.id, "joined neighbourhood")
            expectEq("Rue des Lilas", joined.name, "neighbourhood name")
            check(!joined.admin) { "the joiner is not an admin" }

            val filter = ItemFilter(neighbourhoodId = hood.id)
            val firstSeen = CompletableDeferred<Unit>()
            val arrived =
                async {
                    bob.observeItems(filter).first { items ->
                        firstSeen.complete(Unit)
                        items.any { it.title == "Perceuse" }
                    }
                }
            firstSeen.await() // bob's listing is live (and empty) before alice adds anything
            val drill =
                alice.addItem(
                    hood.id,
                    ItemDraft(title = " Perceuse ", category = Category.TOOLS, tags = listOf("Bois", "bois")),
                )
            expectEq("Perceuse", drill.title, "title is trimmed")
            val report = transfer(from = alice, to = bob, hood = hood.id)
            expectEq(1u, report.itemsChanged, "items changed by the import")
            val got = arrived.await().single()
            expectEq(drill.id, got.id, "item id on bob's side")
            expectEq("Alice", got.ownerName, "owner name on bob's side")
            expectEq(listOf("bois"), got.tags, "normalised tags")
            expectEq(listOf(drill.id), bob.search("perc", ItemFilter()).map { it.id }, "search on bob's side")

            // Nothing new the second time; and bob's profile travels back to alice.
            expectEq(0u, transfer(alice, bob, hood.id).newChanges, "second transfer")
            transfer(from = bob, to = alice, hood = hood.id)
            expectEq(listOf("Alice", "Bob"), alice.members(hood.id).map { it.name }, "members on alice's side")
            expectEq(2u, alice.neighbourhood(hood.id).memberCount, "member count")
        }
    }

    test("events: a snapshot first, then every change in order") {
        withNodes(1) { (node) ->
            node.init("Carole")
            val hood = node.createNeighbourhood("Quartier")
            node.addItem(hood.id, ItemDraft(title = "Échelle"))
            val events = Channel<NodeEvent>(Channel.UNLIMITED)
            val collector = launch { node.events().collect { events.send(it) } }
            val snapshot = events.receive() as NodeEvent.Snapshot
            expectEq(listOf("Échelle"), snapshot.snapshot.items.map { it.title }, "snapshot items")
            expectEq("Carole", snapshot.snapshot.identity?.name, "snapshot identity")
            expectEq(listOf(hood.id), snapshot.snapshot.neighbourhoods.map { it.id }, "snapshot neighbourhoods")

            val mower = node.addItem(hood.id, ItemDraft(title = "Tondeuse"))
            val raclette = node.addItem(hood.id, ItemDraft(title = "Raclette"))
            node.setAvailable(mower.id, false)
            node.removeItem(raclette.id)
            val added1 = events.receive() as NodeEvent.ItemAdded
            val added2 = events.receive() as NodeEvent.ItemAdded
            val paused = events.receive() as NodeEvent.ItemUpdated
            val removed = events.receive() as NodeEvent.ItemRemoved
            expectEq(listOf("Tondeuse", "Raclette"), listOf(added1.item.title, added2.item.title), "added in order")
            expectEq(false, paused.item.available, "paused item")
            expectEq(raclette.id, removed.itemId, "removed item")
            collector.cancel()
        }
    }

    test("a listener that throws does not break the node or other listeners") {
        withNodes(1) { (node) ->
            node.init("Denis")
            val hood = node.createNeighbourhood("Cité")
            val thrower =
                node.subscribe(
                    object : EventListener {
                        override fun onEvent(event: NodeEvent): Unit = throw IllegalStateException("boom")
                    },
                )
            val good = Channel<NodeEvent>(Channel.UNLIMITED)
            val collector = launch { node.events().collect { good.send(it) } }
            check(good.receive() is NodeEvent.Snapshot) { "first event is a snapshot" }
            node.addItem(hood.id, ItemDraft(title = "Brouette"))
            node.addItem(hood.id, ItemDraft(title = "Pelle"))
            expectEq("Brouette", (good.receive() as NodeEvent.ItemAdded).item.title, "first change")
            expectEq("Pelle", (good.receive() as NodeEvent.ItemAdded).item.title, "second change")
            withTimeout(5_000) { while (thrower.listenerErrors() < 3uL) delay(10) }
            check(thrower.isActive()) { "the throwing listener is still subscribed" }
            expectEq(2, node.listItems(ItemFilter()).size, "items stored despite the throwing listener")
            thrower.close()
            collector.cancel()
        }
    }

    test("cancel and close stop delivery") {
        withNodes(1) { (node) ->
            node.init("Émile")
            val hood = node.createNeighbourhood("Hameau")
            val count = AtomicInteger()
            val listener =
                object : EventListener {
                    override fun onEvent(event: NodeEvent) {
                        count.incrementAndGet()
                    }
                }
            val sub = node.subscribe(listener)
            withTimeout(5_000) { while (count.get() < 1) delay(5) } // the snapshot
            sub.cancel()
            check(!sub.isActive()) { "cancelled subscription reports inactive" }
            node.addItem(hood.id, ItemDraft(title = "Scie"))
            node.subscribe(listener).use { withTimeout(5_000) { while (count.get() < 2) delay(5) } }
            node.addItem(hood.id, ItemDraft(title = "Marteau"))
            delay(200)
            expectEq(2, count.get(), "events after cancel/close (only the two snapshots)")
        }
    }

    test("a loan from request to return, each move travelling between the two nodes") {
        withNodes(2) { (alice, bob) ->
            alice.init("Alice")
            bob.init("Bob")
            val hood = alice.createNeighbourhood("Rue des Lilas")
            bob.join(alice.invite(hood.id, 7u, listOf()))
            val drill = alice.addItem(hood.id, ItemDraft(title = "Perceuse", maxLoanDays = 7u))
            transfer(alice, bob, hood.id)
            transfer(bob, alice, hood.id)

            // Alice watches her loans through the Flow while Bob asks to borrow.
            val today = LocalDate.now(ZoneOffset.UTC)
            val requested =
                async { alice.observeLoans(LoanFilter(mine = true)).first { loans -> loans.any { it.state == LoanState.REQUESTED } } }
            val request = bob.requestLoan(drill.id, today.toString(), today.plusDays(3).toString(), "Pour une étagère")
            expectEq(LoanState.REQUESTED, request.state, "state after request")
            transfer(bob, alice, hood.id)
            val seen = requested.await().single()
            expectEq(request.id, seen.id, "loan id on alice's side")
            expectEq("Bob", seen.borrowerName, "borrower name")
            expectEq("Pour une étagère", seen.message, "request message")
            check(alice.reminders(null).any { it is Reminder.NewRequest }) { "alice is reminded of the request" }

            val wrongParty = expectThrows<PartageException.NotAllowed> { bob.acceptLoan(request.id, "") }
            expectEq("not_allowed", wrongParty.kind, "wrong party kind")
            expectEq("only the lender (Alice) can accept this loan", wrongParty.message, "wrong party message")

            expectEq(LoanState.ACCEPTED, alice.acceptLoan(request.id, "Avec plaisir").state, "accepted")
            transfer(alice, bob, hood.id)
            expectEq("Avec plaisir", bob.loan(request.id).answerMessage, "answer on bob's side")
            expectEq(LoanState.HANDED_OVER, alice.handOver(request.id).state, "handed over")
            transfer(alice, bob, hood.id)
            check(bob.confirmReceipt(request.id).receiptConfirmed) { "receipt confirmed" }
            expectEq(LoanState.RETURNED, bob.markReturned(request.id).state, "returned by bob")
            transfer(bob, alice, hood.id)
            expectEq(LoanState.RETURNED, alice.loan(request.id).state, "returned on alice's side")
            val closed = alice.confirmReturn(request.id, "comme neuve")
            expectEq(LoanState.CLOSED, closed.state, "closed")
            transfer(alice, bob, hood.id)
            expectEq(LoanState.CLOSED, bob.loan(request.id).state, "closed on bob's side")
            expectEq("comme neuve", bob.loan(request.id).conditionNote, "condition note")
            val trust = bob.trust(hood.id, bob.identity()!!.memberId)
            expectEq(1u, trust.completedAsBorrower, "bob's completed loans as borrower")

            val badDate = expectThrows<PartageException.InvalidLoan> { bob.requestLoan(drill.id, "31/12", "2099-01-01", "") }
            expectEq("invalid_loan", badDate.kind, "bad date kind")
            expectEq("\"31/12\" is not a date (use YYYY-MM-DD, e.g. 2026-12-01)", badDate.message, "bad date message")
            val ownItem =
                expectThrows<PartageException.InvalidLoan> {
                    alice.requestLoan(drill.id, today.toString(), today.plusDays(1).toString(), "")
                }
            expectEq("you cannot borrow your own item", ownItem.message, "own item message")
            expectThrows<PartageException.UnknownLoan> { alice.loan("00".repeat(16)) }
        }
    }

    test("bad input: typed errors with kind and message, and nothing changes") {
        withNodes(2) { (alice, bob) ->
            val noId = expectThrows<PartageException.NoIdentity> { alice.createNeighbourhood("Trop tôt") }
            expectEq("no_identity", noId.kind, "kind")
            check(noId.message!!.startsWith("no identity in this data directory yet")) { "message: ${noId.message}" }
            alice.init("Alice")
            bob.init("Bob")
            val hood = alice.createNeighbourhood("Rue")

            val empty = expectThrows<PartageException.InvalidInput> { alice.addItem(hood.id, ItemDraft(title = "   ")) }
            expectEq("invalid_input", empty.kind, "empty title kind")
            expectEq("title is empty", empty.message, "empty title message")

            val notTicket = expectThrows<PartageException.BadTicket> { bob.join("hello") }
            expectEq("bad_ticket", notTicket.kind, "bad ticket kind")
            expectEq(
                "this is not a Partage ticket (it should start with \"partage1\")",
                notTicket.message,
                "bad ticket message",
            )
            val ticket = alice.invite(hood.id, 1u, listOf())
            val cut = expectThrows<PartageException.BadTicket> { bob.join(ticket.dropLast(12)) }
            expectEq("this ticket is damaged or incomplete (was it copied in full?)", cut.message, "cut ticket")

            val badId = expectThrows<PartageException.InvalidInput> { alice.item("xyz") }
            expectEq("\"xyz\" is not a valid id", badId.message, "bad id message")
            val days = expectThrows<PartageException.InvalidInput> { alice.invite(hood.id, 0u, listOf()) }
            expectEq("expiry must be between 1 and 365 days, not 0", days.message, "expiry message")

            val drill = alice.addItem(hood.id, ItemDraft(title = "Perceuse"))
            bob.join(ticket)
            transfer(alice, bob, hood.id)
            val notMine = expectThrows<PartageException.NotOwner> { bob.editItem(drill.id, ItemPatch(title = "Volée")) }
            expectEq("not_owner", notMine.kind, "not owner kind")
            expectEq("item ${drill.id.take(8)} belongs to another member (Alice)", notMine.message, "not owner message")
            val both =
                expectThrows<PartageException.InvalidInput> {
                    alice.editItem(drill.id, ItemPatch(depositCents = 500uL, clearDeposit = true))
                }
            expectEq("set either a new deposit or clear_deposit, not both", both.message, "patch message")

            val garbage = expectThrows<PartageException.Rejected> { bob.applySyncBundle(byteArrayOf(1, 2, 3)) }
            expectEq("rejected", garbage.kind, "garbage bundle kind")

            expectEq(listOf("Perceuse"), bob.listItems(ItemFilter()).map { it.title }, "bob's items unchanged")
            expectEq(listOf("Perceuse"), alice.listItems(ItemFilter()).map { it.title }, "alice's items unchanged")
        }
    }

    test("close releases the data directory; reopening finds everything; export and import") {
        val dir = tempDir()
        val backup = File(tempDir(), "backup.json")
        val restored = tempDir()
        try {
            Node.open(dir.path).use { node ->
                node.init("Fanny")
                val hood = node.createNeighbourhood("Village")
                node.addItem(hood.id, ItemDraft(title = "Tente", category = Category.CAMPING, depositCents = 2000uL))
                val summary = node.exportToFile(backup.path)
                expectEq(1u, summary.items, "exported items")
            }
            Node.open(dir.path).use { node ->
                expectEq("Fanny", node.identity()?.name, "identity after reopening")
                val tent = node.listItems(ItemFilter(category = Category.CAMPING)).single()
                expectEq(2000uL, tent.depositCents, "deposit after reopening")
                val edited = node.editItem(tent.id, ItemPatch(clearDeposit = true))
                expectEq(null, edited.depositCents, "deposit cleared")
            }
            Node.open(restored.path).use { node ->
                expectEq(1u, node.importFromFile(backup.path).items, "imported items")
                expectEq(listOf("Tente"), node.listItems(ItemFilter()).map { it.title }, "restored items")
            }
        } finally {
            listOf(dir, backup.parentFile, restored).forEach(File::deleteRecursively)
        }
    }

    finish()
}
