import Foundation
import Partage

/// Counts events and throws on every one of them.
final class ThrowingListener: EventListener, @unchecked Sendable {
    private let lock = NSLock()
    private var seen = 0
    var count: Int { lock.lock(); defer { lock.unlock() }; return seen }

    func onEvent(event: NodeEvent) throws {
        lock.lock()
        seen += 1
        lock.unlock()
        throw ListenerError.failed(reason: "boom")
    }
}

func eventTests(_ r: Runner) async {
    await r.test("events: a snapshot first, then every change in order; a throwing listener breaks nothing") {
        try await withNodes(1) { nodes in
            let node = nodes[0]
            _ = try await node.createIdentity(name: "Carole")
            let hood = try await node.createNeighbourhood(name: "Quartier")
            _ = try await node.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "Échelle"))
            let thrower = ThrowingListener()
            let throwing = try node.subscribe(listener: thrower)
            var events = try node.events().makeAsyncIterator()
            guard case let .snapshot(snapshot) = await events.next() else {
                throw TestFailure(description: "the first event is not a snapshot")
            }
            try expectEq(["Échelle"], snapshot.items.map(\.title), "snapshot items")
            try expectEq("Carole", snapshot.identity?.name, "snapshot identity")

            let mower = try await node.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "Tondeuse"))
            _ = try await node.setAvailable(itemId: mower.id, available: false)
            try await node.removeItem(itemId: mower.id)
            guard case let .itemAdded(added) = await events.next() else { throw TestFailure(description: "itemAdded") }
            guard case let .itemUpdated(paused) = await events.next() else { throw TestFailure(description: "itemUpdated") }
            guard case let .itemRemoved(_, removedId) = await events.next() else { throw TestFailure(description: "itemRemoved") }
            try expectEq("Tondeuse", added.title, "added")
            try expectEq(false, paused.available, "paused")
            try expectEq(mower.id, removedId, "removed")
            // What each event changes is computed in Rust.
            let addedEvent = NodeEvent.itemAdded(item: added)
            try expectEq(EventEffects(items: true, loans: true, neighbourhoods: true, peers: false), addedEvent.effects(), "item added effects")
            try expect(addedEvent.affectsItems && !addedEvent.affectsPeers, "item added affects items, not peers")
            try expectEq(EventEffects(items: true, loans: true, neighbourhoods: true, peers: true),
                         NodeEvent.snapshot(snapshot: snapshot).effects(), "snapshot effects")
            try expectEq(EventEffects(items: false, loans: false, neighbourhoods: true, peers: false),
                         NodeEvent.neighbourhoodJoined(neighbourhoodId: "n", name: "x").effects(), "joined effects")
            try expectEq(EventEffects(items: false, loans: false, neighbourhoods: false, peers: false),
                         NodeEvent.overflow(missed: 1).effects(), "overflow effects")

            while throwing.listenerErrors() < 4 { try await Task.sleep(nanoseconds: 10_000_000) }
            try expect(throwing.isActive(), "the throwing listener is still subscribed")
            throwing.cancel()
            try expect(!throwing.isActive(), "cancelled")
            let before = thrower.count
            _ = try await node.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "Pelle"))
            try await Task.sleep(nanoseconds: 200_000_000)
            try expectEq(before, thrower.count, "no delivery after cancel")
        }
    }

    await r.test("a consumer too far behind: the sequence is bounded, then overflow and a fresh snapshot") {
        try await withNodes(1) { nodes in
            let node = nodes[0]
            _ = try await node.createIdentity(name: "Gaston")
            let hood = try await node.createNeighbourhood(name: "Bourg")
            var events = try node.events(bufferSize: 8).makeAsyncIterator()
            guard case .snapshot = await events.next() else { throw TestFailure(description: "first event") }
            for i in 0..<1_100 {  // nobody iterates meanwhile
                _ = try await node.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "objet \(i)"))
            }
            var missed: Int64 = 0
            while missed == 0 {
                switch await events.next() {
                case let .overflow(count)?: missed = count
                case .itemAdded?: continue
                case let other: throw TestFailure(description: "unexpected \(String(describing: other))")
                }
            }
            guard case let .snapshot(fresh) = await events.next() else { throw TestFailure(description: "no fresh snapshot") }
            try expectEq(1_100, fresh.items.count, "items in the fresh snapshot")
        }
    }
}
