import Foundation
import Partage

/// A logger implemented in Swift: keeps what it receives (called on Partage's log thread).
final class CollectingLogger: PartageLogger, @unchecked Sendable {
    private let lock = NSLock()
    private var records: [(LogLevel, String, String)] = []

    func log(level: LogLevel, target: String, message: String) throws {
        lock.lock()
        records.append((level, target, message))
        lock.unlock()
    }

    func has(_ predicate: (LogLevel, String, String) -> Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return records.contains(where: predicate)
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return records.count
    }
}

// Runs first: the logger is installed once for the whole process.
func loggingTests(_ r: Runner) async {
    await r.test("log records from Rust arrive in a Swift logger (installed once per process)") {
        let logger = CollectingLogger()
        try installLogger(logger: logger, level: .debug)
        let again = try await expectError("second install") { try installLogger(logger: CollectingLogger(), level: .info) }
        try expectEq(ErrorKind.invalidInput, again.kind, "second install")
        try await withNodes(2) { nodes in
            let (alice, bob) = (nodes[0], nodes[1])
            let hood = try await networkedPair(alice, bob)
            _ = try await alice.addItem(neighbourhoodId: hood, draft: ItemDraft(title: "Perceuse"))
            try await bob.startNetwork(config: loopback)
            _ = try await awaitItem(bob, "Perceuse")
        }
        let deadline = Date().addingTimeInterval(15)
        while !(logger.has { $1 == "partage_ffi::network" && $2 == "network started" }
            && logger.has { $0 == .debug && $1 == "partage_net" && $2.contains("accepts a stream") }) {
            try expect(Date() < deadline, "missing log records (\(logger.count) received)")
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        let stats = logStats()
        try expect(stats.installed && stats.delivered > 0 && stats.loggerErrors == 0, "stats: \(stats)")
        setLogLevel(level: .warn)  // quieter for the other tests of this process
    }
}
