package org.partage

import kotlinx.coroutines.*
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.*
import org.partage.ffi.*

fun errorTests() {
    test("bad input: typed errors with kind and message, and nothing changes") {
        withNodes(2) { (alice, bob) ->
            val noId = expectThrows<PartageException.NoIdentity> { alice.createNeighbourhood("Trop tôt") }
            expectEq(ErrorKind.NO_IDENTITY, noId.kind, "kind")
            check(noId.message!!.startsWith("no identity in this data directory yet")) { "message: ${noId.message}" }
            alice.createIdentity("Alice")
            bob.createIdentity("Bob")
            val hood = alice.createNeighbourhood("Rue")

            val empty = expectThrows<PartageException.InvalidInput> { alice.addItem(hood.id, ItemDraft(title = "   ")) }
            expectEq(ErrorKind.INVALID_INPUT, empty.kind, "empty title kind")
            expectEq("title is empty", empty.message, "empty title message")

            val notTicket = expectThrows<PartageException.BadTicket> { bob.join("hello") }
            expectEq(ErrorKind.BAD_TICKET, notTicket.kind, "bad ticket kind")
            expectEq(
                "this is not a Partage ticket (it should start with \"partage2\")",
                notTicket.message,
                "bad ticket message",
            )
            val ticket = alice.invite(hood.id, 1, 1, listOf())
            val cut = expectThrows<PartageException.BadTicket> { bob.join(ticket.dropLast(12)) }
            expectEq("this ticket is damaged or incomplete (was it copied in full?)", cut.message, "cut ticket")

            val badId = expectThrows<PartageException.InvalidInput> { alice.item("xyz") }
            expectEq("\"xyz\" is not a valid id", badId.message, "bad id message")
            val days = expectThrows<PartageException.InvalidInput> { alice.invite(hood.id, 0, 1, listOf()) }
            expectEq("expiry must be between 1 and 365 days, not 0", days.message, "expiry message")
            // Signed integers and java.time types in the API: a negative one is refused, typed.
            val negative = expectThrows<PartageException.InvalidInput> { alice.invite(hood.id, -1, 1, listOf()) }
            expectEq("expiry in days must not be negative, not -1", negative.message, "negative expiry")
            val deposit = expectThrows<PartageException.InvalidInput> { alice.addItem(hood.id, ItemDraft(title = "X", depositCents = -5L)) }
            expectEq("deposit must not be negative, not -5", deposit.message, "negative deposit")
            val timeout = expectThrows<PartageException.InvalidInput> { alice.advertisement(java.time.Duration.ofMillis(-1)) }
            expectEq("timeout must not be negative (got -1 ms)", timeout.message, "negative timeout")

            val drill = alice.addItem(hood.id, ItemDraft(title = "Perceuse"))
            bob.join(ticket)
            transfer(alice, bob, hood.id)
            val notMine = expectThrows<PartageException.NotOwner> { bob.editItem(drill.id, ItemPatch(title = "Volée")) }
            expectEq(ErrorKind.NOT_OWNER, notMine.kind, "not owner kind")
            expectEq("item ${drill.id.take(8)} belongs to another member (Alice)", notMine.message, "not owner message")
            val both =
                expectThrows<PartageException.InvalidInput> {
                    alice.editItem(drill.id, ItemPatch(depositCents = 500L, clearDeposit = true))
                }
            expectEq("set either a new deposit or clear_deposit, not both", both.message, "patch message")

            val garbage = expectThrows<PartageException.Rejected> { bob.applySyncBundle(byteArrayOf(1, 2, 3)) }
            expectEq(ErrorKind.REJECTED, garbage.kind, "garbage bundle kind")

            expectEq(listOf("Perceuse"), bob.listItems(ItemFilter()).map { it.title }, "bob's items unchanged")
            expectEq(listOf("Perceuse"), alice.listItems(ItemFilter()).map { it.title }, "alice's items unchanged")
        }
    }

    test("error kinds come from Rust: an exhaustive when over ErrorKind, with real failures") {
        withNodes(1) { (alice) ->
            val seen = mutableListOf<ErrorKind>()
            fun record(e: PartageException) {
                // Exhaustive and without `else`: a kind added in Rust breaks this compile.
                val advice =
                    when (e.kind) {
                        ErrorKind.INVALID_INPUT -> "fix the input"
                        ErrorKind.BAD_TICKET -> "ask for a new ticket"
                        ErrorKind.NOT_MEMBER -> "join first"
                        ErrorKind.REJECTED -> "the data was refused"
                        ErrorKind.UNKNOWN_LOAN -> "no such loan"
                        ErrorKind.NOT_ALLOWED -> "not your move"
                        ErrorKind.INVALID_LOAN -> "check the dates"
                        ErrorKind.NO_IDENTITY -> "create an identity"
                        ErrorKind.ALREADY_INITIALISED -> "already set up"
                        ErrorKind.UNKNOWN_NEIGHBOURHOOD -> "no such neighbourhood"
                        ErrorKind.ALREADY_MEMBER -> "already a member"
                        ErrorKind.NOT_ADMIN -> "ask an admin"
                        ErrorKind.UNKNOWN_ITEM -> "no such item"
                        ErrorKind.NOT_OWNER -> "not your item"
                        ErrorKind.STORE_NOT_EMPTY -> "use an empty directory"
                        ErrorKind.CORRUPT_EXPORT -> "the export is damaged"
                        ErrorKind.IO -> "check the file"
                        ErrorKind.NETWORK -> "check the network"
                        ErrorKind.PAUSED -> "resume the network"
                        ErrorKind.STOPPED -> "start the network"
                        ErrorKind.BUSY -> "try again"
                        ErrorKind.STORAGE -> "the store failed"
                        ErrorKind.INTERNAL -> "report a bug"
                    }
                check(advice.isNotEmpty())
                seen += e.kind
            }
            record(expectThrows<PartageException.NoIdentity> { alice.createNeighbourhood("Tôt") })
            alice.createIdentity("Alice")
            record(expectThrows<PartageException.AlreadyInitialised> { alice.createIdentity("Alice") })
            val hood = alice.createNeighbourhood("Rue")
            record(expectThrows<PartageException.InvalidInput> { alice.addItem(hood.id, ItemDraft(title = "")) })
            record(expectThrows<PartageException.BadTicket> { alice.join("partage1garbage") })
            record(expectThrows<PartageException.UnknownItem> { alice.item("0".repeat(32)) })
            expectEq(
                listOf(
                    ErrorKind.NO_IDENTITY,
                    ErrorKind.ALREADY_INITIALISED,
                    ErrorKind.INVALID_INPUT,
                    ErrorKind.BAD_TICKET,
                    ErrorKind.UNKNOWN_ITEM,
                ),
                seen,
                "kinds of real failures",
            )
            expectEq(listOf("no_identity", "already_initialised", "invalid_input", "bad_ticket", "unknown_item"), seen.map { it.code }, "codes")
            // Every kind has its own code, and every subclass maps to its own kind.
            expectEq(ErrorKind.entries.size, ErrorKind.entries.map { it.code }.toSet().size, "distinct codes")
            expectEq(ErrorKind.STOPPED, PartageException.Stopped("x").kind, "constructed Stopped")
            expectEq(ErrorKind.INTERNAL, PartageException.Internal("x").kind, "constructed Internal")
        }
    }
}

