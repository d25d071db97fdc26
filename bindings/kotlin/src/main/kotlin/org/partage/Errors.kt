package org.partage

import org.partage.ffi.PartageException

/**
 * The stable short name of the error's kind: the same strings as the Rust core's
 * `Error::kind()` and the CLI's `--json` output. Branch on the subclass
 * (`catch (e: PartageException.BadTicket)`) or on this string; show `message` to people.
 */
val PartageException.kind: String
    get() = when (this) {
        is PartageException.InvalidInput -> "invalid_input"
        is PartageException.BadTicket -> "bad_ticket"
        is PartageException.NotMember -> "not_member"
        is PartageException.Rejected -> "rejected"
        is PartageException.UnknownLoan -> "unknown_loan"
        is PartageException.NotAllowed -> "not_allowed"
        is PartageException.InvalidLoan -> "invalid_loan"
        is PartageException.NoIdentity -> "no_identity"
        is PartageException.AlreadyInitialised -> "already_initialised"
        is PartageException.UnknownNeighbourhood -> "unknown_neighbourhood"
        is PartageException.AlreadyMember -> "already_member"
        is PartageException.NotAdmin -> "not_admin"
        is PartageException.UnknownItem -> "unknown_item"
        is PartageException.NotOwner -> "not_owner"
        is PartageException.StoreNotEmpty -> "store_not_empty"
        is PartageException.CorruptExport -> "corrupt_export"
        is PartageException.Io -> "io"
        is PartageException.Network -> "network"
        is PartageException.Paused -> "paused"
        is PartageException.Stopped -> "stopped"
        is PartageException.Busy -> "busy"
        is PartageException.Storage -> "storage"
        is PartageException.Internal -> "internal"
    }
