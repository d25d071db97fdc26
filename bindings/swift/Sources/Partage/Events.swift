// Events as Swift concurrency: `node.events()` is an AsyncSequence whose first element is a
// snapshot, then every change in order. It is bounded end to end: when the consumer is
// `bufferSize` events behind, the node's delivery thread waits (never the caller's thread);
// if it falls further behind the core's own buffer, it receives `.overflow` then a fresh snapshot.

import Foundation
@_exported import PartageFFI

/// A counting gate between the delivery thread (producer) and the consumer. (Not a
/// DispatchSemaphore: libdispatch traps when one is released below its initial value, which a
/// consumer that stops iterating would do.)
final class EventGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var available: Int
    private var finished = false

    init(capacity: Int) {
        available = max(1, capacity)
    }

    /// Waits for room; false once the consumer has gone.
    func acquire() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while available == 0 && !finished {
            condition.wait()
        }
        if finished { return false }
        available -= 1
        return true
    }

    func release() {
        condition.lock()
        available += 1
        condition.signal()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Forwards events from the node's delivery thread into an `AsyncStream`.
final class StreamListener: EventListener, @unchecked Sendable {
    private let continuation: AsyncStream<NodeEvent>.Continuation
    private let gate: EventGate

    init(_ continuation: AsyncStream<NodeEvent>.Continuation, gate: EventGate) {
        self.continuation = continuation
        self.gate = gate
    }

    func onEvent(event: NodeEvent) throws {
        guard gate.acquire() else { return }
        continuation.yield(event)
    }
}

/// Every event of a node. Iterating it (once) keeps a subscription alive; when the iteration
/// ends or its task is cancelled, the subscription is cancelled.
public struct NodeEvents: AsyncSequence, Sendable {
    public typealias Element = NodeEvent

    let stream: AsyncStream<NodeEvent>
    let gate: EventGate

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: AsyncStream<NodeEvent>.AsyncIterator
        let gate: EventGate

        public mutating func next() async -> NodeEvent? {
            let event = await inner.next()
            if event != nil { gate.release() }
            return event
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: stream.makeAsyncIterator(), gate: gate)
    }
}

public let defaultEventBuffer = 64

extension Node {
    /// Every event of this node: a `.snapshot` first, then every change in order.
    public func events(bufferSize: Int = defaultEventBuffer) throws -> NodeEvents {
        let gate = EventGate(capacity: bufferSize)
        // The gate bounds the stream: at most `bufferSize` events are ever waiting in it.
        let (stream, continuation) = AsyncStream.makeStream(of: NodeEvent.self, bufferingPolicy: .unbounded)
        let subscription = try subscribe(listener: StreamListener(continuation, gate: gate))
        continuation.onTermination = { _ in
            subscription.cancel()
            gate.finish()
        }
        return NodeEvents(stream: stream, gate: gate)
    }

    /// Network activity only.
    public func networkEvents() throws -> AsyncCompactMapSequence<NodeEvents, NetworkEvent> {
        try events().compactMap { event in
            if case let .network(networkEvent) = event { return networkEvent }
            return nil
        }
    }

    /// Re-reads `read` at once and whenever an event passing `affects` arrives on the node's
    /// shared subscription (`EventHub`). Conflated: events arriving while a read runs cause one
    /// more read, not one per event; a slow consumer only ever gets the newest list. Ends with an
    /// error if a read fails.
    func observe<T: Equatable & Sendable>(
        _ affects: @escaping @Sendable (NodeEvent) -> Bool,
        _ read: @escaping @Sendable () async throws -> T
    ) throws -> AsyncThrowingStream<T, Error> {
        let ticks = try EventHub.shared(for: self).ticks(affects)
        return AsyncThrowingStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                var last: T?
                do {
                    for await _ in ticks {
                        let value = try await read()
                        if value != last {
                            last = value
                            continuation.yield(value)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The items matching `filter`, sorted by title: at once, then whenever they change.
    public func observeItems(filter: ItemFilter = ItemFilter()) throws -> AsyncThrowingStream<[Item], Error> {
        try observe({ $0.affectsItems }, { [self] in try await self.listItems(filter: filter) })
    }

    /// Search results for `query`, kept up to date.
    public func observeSearch(query: String, filter: ItemFilter = ItemFilter()) throws
        -> AsyncThrowingStream<[Item], Error>
    {
        try observe({ $0.affectsItems }, { [self] in try await self.search(query: query, filter: filter) })
    }

    /// The loans matching `filter` (derived for today), kept up to date.
    public func observeLoans(filter: LoanFilter = LoanFilter()) throws -> AsyncThrowingStream<[Loan], Error> {
        try observe({ $0.affectsLoans }, { [self] in try await self.loans(filter: filter) })
    }

    /// The neighbourhoods this device belongs to, kept up to date.
    public func observeNeighbourhoods() throws -> AsyncThrowingStream<[Neighbourhood], Error> {
        try observe({ $0.affectsNeighbourhoods }, { [self] in try await self.neighbourhoods() })
    }

    /// Known and connected peers, re-read whenever the network reports something.
    public func observePeers() throws -> AsyncThrowingStream<[Peer], Error> {
        try observe({ $0.affectsPeers }, { [self] in self.isNetworkRunning() ? try self.peers() : [] })
    }
}

extension NodeEvent {
    // What each event can change is decided once, in Rust (`NodeEvent.effects()`).

    /// Whether this event can change an item listing.
    public var affectsItems: Bool { effects().items }

    /// Whether this event can change a loan listing (titles and names included).
    public var affectsLoans: Bool { effects().loans }

    /// Whether this event can change the list of neighbourhoods or their counts.
    public var affectsNeighbourhoods: Bool { effects().neighbourhoods }

    /// Whether this event can change the known and connected peers.
    public var affectsPeers: Bool { effects().peers }
}
