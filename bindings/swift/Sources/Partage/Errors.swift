// The one error type at the edge, made convenient: `error.kind` is the stable short name
// (the same strings as the Rust core's `Error::kind()`), `error.message` the text for people.

@_exported import PartageFFI

extension PartageError {
    /// The stable short name of the kind ("invalid_input", "bad_ticket", ...).
    public var kind: String {
        switch self {
        case .InvalidInput: return "invalid_input"
        case .BadTicket: return "bad_ticket"
        case .NotMember: return "not_member"
        case .Rejected: return "rejected"
        case .UnknownLoan: return "unknown_loan"
        case .NotAllowed: return "not_allowed"
        case .InvalidLoan: return "invalid_loan"
        case .NoIdentity: return "no_identity"
        case .AlreadyInitialised: return "already_initialised"
        case .UnknownNeighbourhood: return "unknown_neighbourhood"
        case .AlreadyMember: return "already_member"
        case .NotAdmin: return "not_admin"
        case .UnknownItem: return "unknown_item"
        case .NotOwner: return "not_owner"
        case .StoreNotEmpty: return "store_not_empty"
        case .CorruptExport: return "corrupt_export"
        case .Io: return "io"
        case .Network: return "network"
        case .Paused: return "paused"
        case .Stopped: return "stopped"
        case .Busy: return "busy"
        case .Storage: return "storage"
        case .Internal: return "internal"
        }
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
