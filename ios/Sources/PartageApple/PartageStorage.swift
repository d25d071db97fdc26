// Where Partage keeps its data on iOS, out of iCloud and iTunes backups, with its secret keys in
// the Keychain (ADR 0018).

#if canImport(Security)
import Foundation
import Partage

public enum PartageStorage {
    /// `Application Support/Partage`, created if needed and marked `isExcludedFromBackup` (set
    /// again at every call: a restore or a copy of the folder can drop the flag).
    public static func dataDirectory() throws -> URL {
        var url = try FileManager.default
            .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("Partage", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
        return url
    }

    /// Opens the node of `dataDirectory()` with its secrets in the Keychain.
    public static func open(store: SecretStore = KeychainSecretStore()) async throws -> Node {
        try await Node.openWithSecretStore(dataDir: try dataDirectory().path, store: store)
    }

    /// Deletes the installation `open` opens from this phone: its secrets in the Keychain (which
    /// would outlive even uninstalling the app), then its store file and folder. Shut down and
    /// release the node first (an open one is refused, nothing deleted). Neighbours keep what
    /// they synced: `erase` each neighbourhood before this to take the user's data off theirs.
    public static func eraseInstallation(store: SecretStore = KeychainSecretStore()) async throws {
        try await Partage.eraseInstallation(dataDir: try dataDirectory().path, store: store)
    }
}
#endif
