// A minimal test runner (XCTest is not needed): each test runs with a deadline, and the closing
// line ("swift: N passed, M failed") is the one CI reads.

import Foundation
import Partage

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

struct Timeout: Error, CustomStringConvertible {
    let description: String
}

final class Runner {
    var passed = 0
    var failed = 0

    func test(_ name: String, seconds: Double = 60, _ body: @escaping @Sendable () async throws -> Void) async {
        let start = Date()
        do {
            try await withDeadline(seconds, name, body)
            passed += 1
            print("ok      \(name) (\(ms(since: start)) ms)")
        } catch {
            failed += 1
            print("FAILED  \(name) (\(ms(since: start)) ms)\n        \(error)")
        }
    }

    func finish() -> Never {
        print("\nswift: \(passed) passed, \(failed) failed")
        exit(failed == 0 && passed > 0 ? 0 : 1)
    }

    private func ms(since start: Date) -> Int { Int(Date().timeIntervalSince(start) * 1000) }
}

/// Runs `body`, failing with `Timeout` after `seconds`.
func withDeadline<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            throw Timeout(description: "timed out after \(seconds) s: \(what)")
        }
        guard let first = try await group.next() else { throw Timeout(description: what) }
        group.cancelAll()
        return first
    }
}

func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw TestFailure(description: what()) }
}

func expectEq<T: Equatable>(_ expected: T, _ actual: T, _ what: String) throws {
    if expected != actual { throw TestFailure(description: "\(what): expected <\(expected)>, got <\(actual)>") }
}

/// Runs `body` and returns the `PartageError` it throws (failing if it throws nothing).
func expectError(_ what: String, _ body: () async throws -> Void) async throws -> PartageError {
    do {
        try await body()
    } catch let error as PartageError {
        return error
    }
    throw TestFailure(description: "\(what): expected a PartageError, nothing was thrown")
}

/// The first element of `sequence` that satisfies `predicate`.
func first<S: AsyncSequence>(_ sequence: S, where predicate: (S.Element) -> Bool) async throws -> S.Element {
    for try await element in sequence where predicate(element) {
        return element
    }
    throw TestFailure(description: "the sequence ended before the expected element")
}

/// Opens `count` nodes in fresh temporary directories, runs `body`, then shuts them down.
func withNodes(_ count: Int, _ body: ([Node]) async throws -> Void) async throws {
    var dirs: [URL] = []
    var nodes: [Node] = []
    for _ in 0..<count {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partage-swift-\(UUID().uuidString)")
        dirs.append(dir)
        nodes.append(try await Node.open(dataDir: dir.path))
    }
    defer { dirs.forEach { try? FileManager.default.removeItem(at: $0) } }
    do {
        try await body(nodes)
    } catch {
        for node in nodes { try? await node.shutdown() }
        throw error
    }
    for node in nodes { try await node.shutdown() }
}

let loopback = NetworkConfig(listenAddresses: ["/ip4/127.0.0.1/tcp/0"])

/// Alice founds a neighbourhood and listens on loopback; Bob joins with a ticket carrying her address.
func networkedPair(_ alice: Node, _ bob: Node) async throws -> String {
    _ = try await alice.createIdentity(name: "Alice")
    _ = try await bob.createIdentity(name: "Bob")
    let hood = try await alice.createNeighbourhood(name: "Rue des Lilas")
    try await alice.startNetwork(config: loopback)
    let ad = try await alice.advertisement(timeout: .milliseconds(5_000))
    try expect(!ad.addresses.isEmpty && ad.addresses.allSatisfy { $0.hasPrefix("/ip4/127.0.0.1/tcp/") },
               "advertised addresses: \(ad.addresses)")
    _ = try await bob.join(ticket: try await alice.invite(neighbourhoodId: hood.id, expiresInDays: 7, uses: 1, addresses: ad.addresses))
    return hood.id
}

/// The start of today (plus `days`) in the Gregorian calendar and the current time zone: how the
/// bindings give days to Swift (`Date`).
func today(plusDays days: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone.current
    return calendar.date(byAdding: .day, value: days, to: calendar.startOfDay(for: Date()))!
}
