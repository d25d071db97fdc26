// One event subscription per node behind every `observe*` stream: a multicast of the node's events
// to any number of observers. Each observer gets a stream of "re-read now" ticks, conflated (at
// most one pending), so a burst of events costs one read per observer, and the delivery thread
// never waits for an observer.

import Foundation
@_exported import PartageFFI

final class EventHub: EventListener, @unchecked Sendable {
    private struct Observer {
        let affects: @Sendable (NodeEvent) -> Bool
        let continuation: AsyncStream<Void>.Continuation
    }

    private let lock = NSLock()
    private var observers: [UInt64: Observer] = [:]
    private var nextId: UInt64 = 0
    private var subscription: Subscription?
    /// The node, weakly: the hub lives in a process-wide table and must not keep a node open.
    private weak var node: Node?

    private init(node: Node) {
        self.node = node
    }

    // MARK: one hub per node

    private struct Entry {
        weak var node: Node?
        let hub: EventHub
    }

    private static let tableLock = NSLock()
    nonisolated(unsafe) private static var table: [ObjectIdentifier: Entry] = [:]

    /// The hub of `node`, created on first use. Entries of released nodes are dropped here.
    static func shared(for node: Node) -> EventHub {
        tableLock.lock()
        defer { tableLock.unlock() }
        table = table.filter { $0.value.node != nil }
        let key = ObjectIdentifier(node)
        if let entry = table[key], entry.node === node {
            return entry.hub
        }
        let hub = EventHub(node: node)
        table[key] = Entry(node: node, hub: hub)
        return hub
    }

    // MARK: observers

    /// A stream of ticks: one at once, then one whenever an event passing `affects` arrives
    /// (conflated). The first observer starts the subscription; when the last one's stream ends,
    /// the subscription is cancelled.
    func ticks(_ affects: @escaping @Sendable (NodeEvent) -> Bool) throws -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        lock.lock()
        defer { lock.unlock() }
        if subscription == nil {
            guard let node else { throw PartageError.stopped(message: "the node was released") }
            subscription = try node.subscribe(listener: self)
        }
        let id = nextId
        nextId += 1
        observers[id] = Observer(affects: affects, continuation: continuation)
        // Registered before the first read: a change after this point ticks again.
        continuation.yield(())
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return stream
    }

    private func remove(_ id: UInt64) {
        lock.lock()
        observers[id] = nil
        let last = observers.isEmpty ? subscription : nil
        if observers.isEmpty { subscription = nil }
        lock.unlock()
        last?.cancel()
    }

    /// How many observers share the subscription (for tests and diagnostics).
    var observerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return observers.count
    }

    // MARK: EventListener (the node's delivery thread)

    func onEvent(event: NodeEvent) throws {
        lock.lock()
        let current = Array(observers.values)
        lock.unlock()
        for observer in current where observer.affects(event) {
            observer.continuation.yield(())
        }
    }
}
