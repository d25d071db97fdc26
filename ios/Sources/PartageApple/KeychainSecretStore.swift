// Keeps Partage's member and device secrets in the iOS Keychain instead of the data directory
// (ADR 0018). Items are `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: readable by
// background tasks once the phone has been unlocked after boot, never in an iCloud or iTunes
// backup, never moved to another phone. A copy of the data directory elsewhere therefore carries
// no usable key: opening it there fails with `PartageError.storage` and the user links that phone
// again. Use with `Node.openWithSecretStore(dataDir:store:)`, the same store every time.

#if canImport(Security)
import Foundation
import Partage
import Security

public final class KeychainSecretStore: SecretStore, @unchecked Sendable {
    /// The Keychain service the items are filed under (their account is Partage's secret name).
    public let service: String
    /// A shared Keychain access group (app extensions), or nil for the app's own.
    public let accessGroup: String?

    public init(service: String = "org.partage.secrets", accessGroup: String? = nil) {
        self.service = service
        self.accessGroup = accessGroup
    }

    private func query(_ name: String) -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: name,
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup { query[kSecAttrAccessGroup as String] = accessGroup }
        return query
    }

    public func load(name: String) throws -> Data? {
        var search = query(name)
        search[kSecReturnData as String] = true
        search[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(search as CFDictionary, &result)
        switch status {
        case errSecSuccess:
            guard let data = result as? Data else { throw SecretStoreError.failed(reason: "\(name) is not data") }
            return data
        case errSecItemNotFound:
            return nil
        default:
            throw SecretStoreError.failed(reason: "Keychain read of \(name) failed: \(describe(status))")
        }
    }

    public func save(name: String, secret: Data) throws {
        let attributes: [String: Any] = [
            kSecValueData as String: secret,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(query(name) as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            let item = query(name).merging(attributes) { _, new in new }
            status = SecItemAdd(item as CFDictionary, nil)
        }
        guard status == errSecSuccess else {
            throw SecretStoreError.failed(reason: "Keychain write of \(name) failed: \(describe(status))")
        }
    }

    public func delete(name: String) throws {
        let status = SecItemDelete(query(name) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw SecretStoreError.failed(reason: "Keychain delete of \(name) failed: \(describe(status))")
        }
    }

    private func describe(_ status: OSStatus) -> String {
        (SecCopyErrorMessageString(status, nil) as String?) ?? "OSStatus \(status)"
    }
}
#endif
