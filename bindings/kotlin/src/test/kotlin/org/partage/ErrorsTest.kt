package org.partage

import kotlinx.coroutines.*
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.*
import org.partage.ffi.*

fun errorTests() {
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
            val ticket = alice.invite(hood.id, 1u, 1u, listOf())
            val cut = expectThrows<PartageException.BadTicket> { bob.join(ticket.dropLast(12)) }
            expectEq("this ticket is damaged or incomplete (was it copied in full?)", cut.message, "cut ticket")

            val badId = expectThrows<PartageException.InvalidInput> { alice.item("xyz") }
            expectEq("\"xyz\" is not a valid id", badId.message, "bad id message")
            val days = expectThrows<PartageException.InvalidInput> { alice.invite(hood.id, 0u, 1u, listOf()) }
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
}
