// Partage's log records in the unified logging system (Console.app, `log stream`, sysdiagnose).
// Install once per process, early (e.g. in the App's init):
//     try? PartageOSLogger.install(level: .info)
// Targets are public; messages are private (redacted in logs collected off the device unless a
// debugging profile is installed): they may hold peer ids and LAN addresses, never keys, tickets
// or inventory contents.

#if canImport(os)
import Foundation
import os
import Partage

@available(iOS 14.0, macOS 11.0, *)
public final class PartageOSLogger: PartageLogger, @unchecked Sendable {
    // `os.Logger` is a value type safe to use from any thread; Partage calls `log` from one thread.
    private let logger: os.Logger

    public init(subsystem: String = Bundle.main.bundleIdentifier ?? "org.partage", category: String = "Partage") {
        logger = os.Logger(subsystem: subsystem, category: category)
    }

    public func log(level: LogLevel, target: String, message: String) throws {
        logger.log(level: Self.osLogType(level), "\(target, privacy: .public): \(message, privacy: .private)")
    }

    /// The unified-logging type of a Partage level (warnings as `default`, i.e. notice).
    public static func osLogType(_ level: LogLevel) -> OSLogType {
        switch level {
        case .error: return .error
        case .warn: return .default
        case .info: return .info
        case .debug, .trace: return .debug
        }
    }

    /// Installs the unified logging system as this process's Partage logger (throws
    /// `PartageError.invalidInput` if one is already installed). Change the level later with
    /// `setLogLevel(level:)`.
    public static func install(
        level: LogLevel = .info,
        subsystem: String = Bundle.main.bundleIdentifier ?? "org.partage",
        category: String = "Partage"
    ) throws {
        try installLogger(logger: PartageOSLogger(subsystem: subsystem, category: category), level: level)
    }
}
#endif
