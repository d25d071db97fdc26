package org.partage

import org.partage.ffi.ErrorKind
import org.partage.ffi.FfiConverterTypeErrorKind
import org.partage.ffi.FfiConverterTypePartageError
import org.partage.ffi.PartageException
import org.partage.ffi.errorKindName

/**
 * The kind of the error: the Rust core's `ErrorKind`, one taxonomy for the core, the network layer
 * and these bindings. Branch on the subclass (`catch (e: PartageException.BadTicket)`) or on this
 * enum (an exhaustive `when` with no `else` stops compiling when a kind is added); show `message`
 * to people.
 *
 * No table here: each subclass crosses the FFI as its position in Rust's `ErrorKind`, so the kind
 * is read back with uniffi's own converters (Rust tests that the two enums stay in step).
 */
val PartageException.kind: ErrorKind
    get() = FfiConverterTypeErrorKind.lift(FfiConverterTypePartageError.lower(this))

/** The stable short name of the kind ("invalid_input", ...), as in the CLI's `--json` output. */
val ErrorKind.code: String
    get() = errorKindName(this)
