"""The Python layer over the generated `partage_ffi` module: everything it exports, plus
`PartageError.kind`, the Rust core's `ErrorKind` (the same taxonomy as Kotlin's `e.kind` and
Swift's `error.kind`), and `ErrorKind.code`, its stable short name ("bad_ticket", as in the CLI's
`--json` output).

    import partage
    try:
        await node.join(ticket)
    except partage.PartageError as e:
        if e.kind == partage.ErrorKind.BAD_TICKET: ...
        print(str(e))   # the core's message, for people

No table of kinds here: each `PartageError` subclass crosses the FFI as its position in Rust's
`ErrorKind` (the Rust tests check that the two enums stay in step), so the kind is read back with
the generated converters, as the Kotlin and Swift layers do.
"""

import partage_ffi
from partage_ffi import *  # noqa: F401,F403  (this layer is the generated module, extended)
from partage_ffi import ErrorKind, PartageError, error_kind_name


# The generated converters' names (uniffi 0.32); a newer uniffi that renames them fails the tests.
def _kind(error):
    """The `ErrorKind` of a `PartageError` (lower the error, lift an `ErrorKind` from the bytes)."""
    # pylint: disable=protected-access
    lowered = partage_ffi._UniffiFfiConverterTypePartageError.lower(error)
    return partage_ffi._UniffiFfiConverterTypeErrorKind.lift(lowered)


PartageError.kind = property(_kind, doc="The Rust core's ErrorKind of this error.")
ErrorKind.code = property(error_kind_name, doc='The stable short name ("invalid_input", ...).')
