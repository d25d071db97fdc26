package org.partage

import kotlinx.coroutines.*
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.*
import org.partage.ffi.*

/** Moves what [to] lacks of [hood] from [from], as opaque bytes (what a file or QR code would carry). */
suspend fun transfer(
    from: Node,
    to: Node,
    hood: String,
): ImportReport = to.applySyncBundle(from.syncBundle(hood, to.syncSummary(hood)))

fun offlineTests() {
    test("offline: sync bundles as bytes carry an item to the other node, seen through the Flow") {
        withNodes(2) { (alice, bob) ->
            alice.createIdentity("Alice")
            bob.createIdentity("Bob")
            val hood = alice.createNeighbourhood("Rue des Lilas")
            val ticket = alice.invite(hood.id, 7, 1, listOf("/ip4/127.0.0.1/tcp/4001"))
            check(ticket.startsWith("partage2")) { "ticket: $ticket" }
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
            expectEq(1, report.itemsChanged, "items changed by the import")
            val got = arrived.await().single()
            expectEq(drill.id, got.id, "item id on bob's side")
            expectEq("Alice", got.ownerName, "owner name on bob's side")
            expectEq(listOf("bois"), got.tags, "normalised tags")
            expectEq(listOf(drill.id), bob.search("perc", ItemFilter()).map { it.id }, "search on bob's side")

            // Nothing new the second time; and bob's profile travels back to alice.
            expectEq(0, transfer(alice, bob, hood.id).newChanges, "second transfer")
            transfer(from = bob, to = alice, hood = hood.id)
            expectEq(listOf("Alice", "Bob"), alice.members(hood.id).map { it.name }, "members on alice's side")
            expectEq(2, alice.neighbourhood(hood.id).memberCount, "member count")
        }
    }
}
