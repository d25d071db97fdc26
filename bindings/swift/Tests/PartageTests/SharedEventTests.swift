import Foundation
import Partage

/// Values handed from a consumer task to the test, in order.
final class Mailbox<T: Sendable>: @unchecked Sendable {
    private let continuation: AsyncStream<T>.Continuation
    private var iterator: AsyncStream<T>.AsyncIterator

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: T.self)
        self.continuation = continuation
        iterator = stream.makeAsyncIterator()
    }

    func put(_ value: T) { continuation.yield(value) }

    func take(_ what: String) async throws -> T {
        guard let value = await iterator.next() else { throw TestFailure(description: "\(what): mailbox closed") }
        return value
    }
}

func sharedEventTests(_ r: Runner) async {
    await r.test("observers share one subscription (a multicast), started by the first and ended by the last") {
        try await withNodes(1) { nodes in
            let node = nodes[0]
            _ = try await node.createIdentity(name: "Eve")
            let hood = try await node.createNeighbourhood(name: "Impasse")
            try expectEq(0, node.eventSubscriptions(), "no subscription before any observer")

            let items = Mailbox<[String]>()
            let counts = Mailbox<Int32>()
            let first = Task { for try await list in try node.observeItems() { items.put(list.map(\.title)) } }
            try expectEq([], try await items.take("first list"), "the first observer starts with the current list")
            let second = Task { for try await list in try node.observeNeighbourhoods() { counts.put(list[0].itemCount) } }
            try expectEq(0, try await counts.take("first count"), "a late observer reads at once")
            try expectEq(1, node.eventSubscriptions(), "two observers, one subscription")

            _ = try await node.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "Scie"))
            try expectEq(["Scie"], try await items.take("items after a change"), "the change reaches the first observer")
            try expectEq(1, try await counts.take("count after a change"), "and the second")
            try expectEq(1, node.eventSubscriptions(), "still one subscription")

            first.cancel()
            _ = try await node.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "Marteau"))
            try expectEq(2, try await counts.take("count after the first left"), "the remaining observer goes on")
            second.cancel()
            // The delivery thread ends once it sees the cancellation (polled; the runner's deadline bounds it).
            while node.eventSubscriptions() != 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        }
    }
}
