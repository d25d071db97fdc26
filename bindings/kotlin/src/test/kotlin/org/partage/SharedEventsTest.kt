package org.partage

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.partage.ffi.ItemDraft
import org.partage.ffi.Neighbourhood

fun sharedEventsTests() {
    test("observers share one subscription (SharedFlow), started by the first and ended by the last") {
        withNodes(1) { (node) ->
            node.createIdentity("Eve")
            val hood = node.createNeighbourhood("Impasse")
            expectEq(0, node.eventSubscriptions(), "no subscription before any observer")

            val items = Channel<List<String>>(Channel.UNLIMITED)
            val hoods = Channel<List<Neighbourhood>>(Channel.UNLIMITED)
            val first = launch { node.observeItems().collect { list -> items.send(list.map { it.title }) } }
            expectEq(emptyList(), items.receive(), "first observer starts with the current list")
            val second = launch { node.observeNeighbourhoods().collect { hoods.send(it) } }
            expectEq(0, hoods.receive().single().itemCount, "a late observer reads at once (no snapshot needed)")

            node.addItem(hood.id, ItemDraft(title = "Scie"))
            expectEq(listOf("Scie"), items.receive(), "the change reaches the first observer")
            expectEq(1, hoods.receive().single().itemCount, "and the second")
            // An event reached both observers, so whatever subscriptions they use are running:
            // separate ones would count 2 here.
            expectEq(1, node.eventSubscriptions(), "two observers, one subscription")

            first.cancel()
            node.addItem(hood.id, ItemDraft(title = "Marteau"))
            expectEq(2, hoods.receive().single().itemCount, "the remaining observer goes on")
            second.cancel()
            // The delivery thread ends once it sees the cancellation (polled; 5 s is a deadline, not a measure).
            withTimeout(5_000) { while (node.eventSubscriptions() != 0) delay(10) }
        }
    }
}
