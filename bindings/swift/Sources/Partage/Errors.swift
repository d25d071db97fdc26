// The one error type at the edge, made convenient: `error.kind` is the Rust core's `ErrorKind`
// (one taxonomy for the core, the network layer and these bindings), `error.message` the text for
// people. Switch exhaustively over `kind` (no `default`) to be told when a kind is added.

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
        case let .InvalidInput(message), let .BadTicket(message), let .NotMember(message),
            let .Rejected(message), let .UnknownLoan(message), let .NotAllowed(message),
            let .InvalidLoan(message), let .NoIdentity(message), let .AlreadyInitialised(message),
            let .UnknownNeighbourhood(message), let .AlreadyMember(message), let .NotAdmin(message),
            let .UnknownItem(message), let .NotOwner(message), let .StoreNotEmpty(message),
            let .CorruptExport(message), let .Io(message), let .Network(message), let .Paused(message),
            let .Stopped(message), let .Busy(message), let .Storage(message), let .Internal(message):
            return message
        }
    }
}

extension ErrorKind {
    /// The stable short name ("invalid_input", ...), as in the CLI's `--json` output.
    public var code: String { errorKindName(kind: self) }
}
