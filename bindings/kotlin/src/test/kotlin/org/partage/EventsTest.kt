package org.partage

import kotlinx.coroutines.*
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.*
import org.partage.ffi.*
import java.util.concurrent.atomic.AtomicInteger

fun eventTests() {
    test("events: a snapshot first, then every change in order") {
        withNodes(1) { (node) ->
            node.createIdentity("Carole")
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
            // What each event changes is computed in Rust.
            expectEq(EventEffects(items = true, loans = true, neighbourhoods = true, peers = true), snapshot.effects(), "snapshot effects")
            expectEq(EventEffects(items = true, loans = true, neighbourhoods = true, peers = false), added1.effects(), "item added effects")
            check(added1.affectsItems() && !added1.affectsPeers()) { "item added affects items, not peers" }
            val joined = NodeEvent.NeighbourhoodJoined(hood.id, "Quartier")
            expectEq(EventEffects(items = false, loans = false, neighbourhoods = true, peers = false), joined.effects(), "joined effects")
            expectEq(EventEffects(items = false, loans = false, neighbourhoods = false, peers = false), NodeEvent.Overflow(1L).effects(), "overflow effects")
            collector.cancel()
        }
    }

    test("a listener that throws does not break the node or other listeners") {
        withNodes(1) { (node) ->
            node.createIdentity("Denis")
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
            withTimeout(5_000) { while (thrower.listenerErrors() < 3L) delay(10) }
            check(thrower.isActive()) { "the throwing listener is still subscribed" }
            expectEq(2, node.listItems(ItemFilter()).size, "items stored despite the throwing listener")
            thrower.close()
            collector.cancel()
        }
    }

    test("cancel and close stop delivery") {
        withNodes(1) { (node) ->
            node.createIdentity("Émile")
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

    test("a collector too far behind: the flow is bounded, then Overflow and a fresh Snapshot") {
        withNodes(1) { (node) ->
            node.createIdentity("Gaston")
            val hood = node.createNeighbourhood("Bourg")
            val gate = CompletableDeferred<Unit>()
            val seen = Channel<NodeEvent>(Channel.UNLIMITED)
            val collector =
                launch(Dispatchers.Default) {
                    node.events(bufferSize = 8).collect {
                        seen.send(it)
                        gate.await() // a collector stuck after the first event
                    }
                }
            check(seen.receive() is NodeEvent.Snapshot) { "first event" }
            repeat(1_100) { node.addItem(hood.id, ItemDraft(title = "objet $it")) }
            gate.complete(Unit)
            var overflow: NodeEvent.Overflow? = null
            while (overflow == null) {
                when (val event = seen.receive()) {
                    is NodeEvent.Overflow -> overflow = event
                    is NodeEvent.ItemAdded -> {}
                    else -> throw AssertionError("unexpected $event")
                }
            }
            check(overflow.missed > 0L) { "missed: ${overflow.missed}" }
            val fresh = seen.receive() as NodeEvent.Snapshot
            expectEq(1_100, fresh.snapshot.items.size, "items in the fresh snapshot")
            collector.cancel()
        }
    }
}
