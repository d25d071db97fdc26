// The one error type at the edge, made convenient: `error.kind` is the Rust core's `ErrorKind`
// (one taxonomy for the core, the network layer and these bindings), `error.message` the text for
// people. Switch exhaustively over `kind` (no `default`) to be told when a kind is added.

import Foundation
@_exported import PartageFFI

extension PartageError {
    /// The kind of this error. No table here: each case crosses the FFI as its position in Rust's
    /// `ErrorKind`, so the kind is read back with uniffi's own converters (Rust tests that the
    /// two enums stay in step).
    public var kind: ErrorKind {
        (try? FfiConverterTypeErrorKind_lift(FfiConverterTypePartageError_lower(self))) ?? .internal
    }

    /// The human-readable message, ready to show.
    public var message: String {
        switch self {
        case let .invalidInput(message), let .badTicket(message), let .notMember(message),
            let .rejected(message), let .unknownLoan(message), let .notAllowed(message),
            let .invalidLoan(message), let .noIdentity(message), let .alreadyInitialised(message),
            let .unknownNeighbourhood(message), let .alreadyMember(message), let .notAdmin(message),
            let .unknownItem(message), let .notOwner(message), let .storeNotEmpty(message),
            let .corruptExport(message), let .io(message), let .network(message), let .paused(message),
            let .stopped(message), let .busy(message), let .storage(message), let .internal(message):
            return message
        }
    }
}

/// `error.localizedDescription` (and `errorDescription`) is the core's message, ready to show:
/// "title is empty", not a debug dump of the enum.
// Retroactive: uniffi's own conformance (a debug dump) is turned off in bindings/uniffi.toml.
#if compiler(>=6)
extension PartageError: @retroactive LocalizedError {
    public var errorDescription: String? { message }
}
#else
extension PartageError: LocalizedError {
    public var errorDescription: String? { message }
}
#endif

extension ErrorKind {
    /// The stable short name ("invalid_input", ...), as in the CLI's `--json` output.
    public var code: String { errorKindName(kind: self) }
}
