import Foundation
import Partage

/// A SecretStore in memory, standing in for the iOS Keychain.
final class MemorySecretStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var secrets: [String: Data] = [:]

    var all: [String: Data] {
        lock.lock()
        defer { lock.unlock() }
        return secrets
    }

    func load(name: String) throws -> Data? {
        lock.lock()
        defer { lock.unlock() }
        return secrets[name]
    }

    func save(name: String, secret: Data) throws {
        lock.lock()
        defer { lock.unlock() }
        secrets[name] = secret
    }

    func delete(name: String) throws {
        lock.lock()
        defer { lock.unlock() }
        secrets[name] = nil
    }
}

/// The files under `dir` that contain `secret`, as raw bytes or as lowercase hex text.
func filesContaining(_ dir: URL, _ secret: Data) -> [String] {
    let hex = Data(secret.map { String(format: "%02x", $0) }.joined().utf8)
    let paths = (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String]) ?? []
    return paths.filter { path in
        guard let bytes = FileManager.default.contents(atPath: dir.appendingPathComponent(path).path) else { return false }
        return bytes.range(of: secret) != nil || bytes.range(of: hex) != nil
    }
}

func secretTests(_ r: Runner) async {
    await r.test("with a SecretStore, no secret key is in the data directory, and the node reopens with the store's keys") {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partage-swift-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemorySecretStore()

        // Each session in a function of its own: the node is released (the directory unlocked) when it returns.
        func firstSession() async throws -> (Identity, String) {
            let node = try await Node.openWithSecretStore(dataDir: dir.path, store: store)
            let me = try await node.createIdentity(name: "Alice")
            let hood = try await node.createNeighbourhood(name: "Rue")
            _ = try await node.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "Perceuse"))
            try await node.shutdown()
            return (me, hood.id)
        }
        func secondSession(_ me: Identity, _ hood: String) async throws {
            let node = try await Node.openWithSecretStore(dataDir: dir.path, store: store)
            try expectEq(me.deviceId, try await node.identity()?.deviceId, "device after reopening")
            _ = try await node.addItem(neighbourhoodId: hood, draft: ItemDraft(title: "Scie"))  // signs with the store's keys
            try await node.shutdown()
        }

        let (me, hood) = try await firstSession()
        try expectEq(Set(["partage.device.\(me.deviceId)", "partage.member.\(me.memberId)"]), Set(store.all.keys), "names in the store")
        for (name, secret) in store.all {
            try expectEq(32, secret.count, "size of \(name)")
            try expectEq([], filesContaining(dir, secret), "files of the data directory holding \(name)")
        }

        try await secondSession(me, hood)

        let withoutStore = try await expectError("open without the store") { _ = try await Node.open(dataDir: dir.path) }
        guard case .storage = withoutStore else { throw TestFailure(description: "not storage: \(withoutStore)") }
        try expect(withoutStore.localizedDescription.contains("secret store"), "message: \(withoutStore.localizedDescription)")
        let elsewhere = try await expectError("open on another device") {
            _ = try await Node.openWithSecretStore(dataDir: dir.path, store: MemorySecretStore())
        }
        try expect(elsewhere.message.contains("missing from the secret store"), "message: \(elsewhere.message)")
    }

    await r.test("eraseInstallation deletes the keys from the SecretStore and the data directory") {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("partage-swift-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: parent) }
        let dir = parent.appendingPathComponent("partage")
        let store = MemorySecretStore()
        func session() async throws {
            let node = try await Node.openWithSecretStore(dataDir: dir.path, store: store)
            _ = try await node.createIdentity(name: "Alice")
            _ = try await node.createNeighbourhood(name: "Rue")
            let open = try await expectError("erase while the node is open") {
                try await eraseInstallation(dataDir: dir.path, store: store)
            }
            try expect(open.message.contains("close that node first"), "message: \(open.message)")
            try await node.shutdown()
        }
        try await session()
        try expectEq(2, store.all.count, "keys in the store before erasing")
        try await eraseInstallation(dataDir: dir.path, store: store)
        try expectEq(0, store.all.count, "keys left in the store")
        try expect(!FileManager.default.fileExists(atPath: dir.path), "the data directory is gone")
    }
}
