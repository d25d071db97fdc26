#!/usr/bin/env python3
"""Makes the uniffi-generated Swift cancellable: a cancelled Swift `Task` cancels the Rust future.

uniffi 0.32's Swift awaits a Rust future with `withUnsafeContinuation` and never tells Rust when
the awaiting Task is cancelled (mozilla/uniffi-rs#2771; Kotlin and Python do drop the future).
This rewrites the generated file in place:

- `uniffiRustCallAsync` runs its poll loop inside `withTaskCancellationHandler`; on cancellation
  it calls the future's `rust_future_cancel` function, which wakes the loop; the future is then
  freed (dropped: the bindings' abort-on-drop guards end its Rust work) and the call throws
  `CancellationError`. A future that had already finished still returns its result.
- every call site passes its `cancelFunc` (a closure calling the `rust_future_cancel_*` twin of
  its `freeFunc`; a closure literal, so that it is `@Sendable` without a warning).

Every async function of these bindings throws already (`try await`), so `CancellationError` adds no
new failure mode to a signature. The script fails loudly if the generated code does not have the
shape it expects (a new uniffi version): update it together with uniffi.

Usage: swift-cancellation.py path/to/PartageFFI.swift
"""

import re
import sys

ORIGINAL = """    uniffiEnsure{init}Initialized()
    let rustFuture = rustFutureFunc()
    defer {
        freeFunc(rustFuture)
    }
    var pollResult: Int8;
    repeat {
        pollResult = await withUnsafeContinuation {
            pollFunc(
                rustFuture,
                { handle, pollResult in
                    uniffiFutureContinuationCallback(handle: handle, pollResult: pollResult)
                },
                uniffiContinuationHandleMap.insert(obj: $0)
            )
        }
    } while pollResult != UNIFFI_RUST_FUTURE_POLL_READY

    return try liftFunc(makeRustCall(
        { completeFunc(rustFuture, $0) },
        errorHandler: errorHandler
    ))
}"""

CANCELLABLE = """    uniffiEnsure{init}Initialized()
    let rustFuture = rustFutureFunc()
    defer {
        freeFunc(rustFuture)
    }
    // Patched by scripts/bindings/swift-cancellation.py: Task cancellation reaches Rust.
    await withTaskCancellationHandler {
        var pollResult: Int8
        repeat {
            pollResult = await withUnsafeContinuation {
                pollFunc(
                    rustFuture,
                    { handle, pollResult in
                        uniffiFutureContinuationCallback(handle: handle, pollResult: pollResult)
                    },
                    uniffiContinuationHandleMap.insert(obj: $0)
                )
            }
        } while pollResult != UNIFFI_RUST_FUTURE_POLL_READY
    } onCancel: {
        cancelFunc(rustFuture)
    }
    var callStatus = RustCallStatus.init()
    let returnedVal = completeFunc(rustFuture, &callStatus)
    if callStatus.code == CALL_CANCELLED {
        throw CancellationError()
    }
    try uniffiCheckCallStatus(callStatus: callStatus, errorHandler: errorHandler)
    return try liftFunc(returnedVal)
}"""

SIGNATURE = """    freeFunc: (UInt64) -> (),
    liftFunc: (F) throws -> T,"""

SIGNATURE_CANCELLABLE = """    freeFunc: (UInt64) -> (),
    cancelFunc: @escaping @Sendable (UInt64) -> (),
    liftFunc: (F) throws -> T,"""

CALL_SITE = re.compile(r"^(\s*)freeFunc: (\w+)_rust_future_free_(\w+),$", re.M)


def fail(message):
    sys.exit(f"swift-cancellation.py: {message}")


def main():
    if len(sys.argv) != 2:
        fail("usage: swift-cancellation.py PartageFFI.swift")
    path = sys.argv[1]
    source = open(path, encoding="utf-8").read()
    if "Patched by scripts/bindings/swift-cancellation.py" in source:
        return
    init = re.search(r"uniffiEnsure(\w+)Initialized\(\)", source)
    if not init:
        fail("no uniffiEnsure...Initialized() in the generated Swift")
    body = ORIGINAL.replace("{init}", init.group(1))
    if source.count(body) != 1 or source.count(SIGNATURE) != 1:
        fail("uniffiRustCallAsync does not have the expected shape (a new uniffi version?)")
    source = source.replace(body, CANCELLABLE.replace("{init}", init.group(1)))
    source = source.replace(SIGNATURE, SIGNATURE_CANCELLABLE)

    calls = source.count("await uniffiRustCallAsync(")
    if calls == 0:
        fail("no async call sites found")
    if source.count("try  await uniffiRustCallAsync(") != calls:
        fail("an async function does not throw: CancellationError would need `try!`; make it return a Result")
    source, patched = CALL_SITE.subn(
        lambda m: f"{m.group(1)}freeFunc: {m.group(2)}_rust_future_free_{m.group(3)},\n"
        f"{m.group(1)}cancelFunc: {{ {m.group(2)}_rust_future_cancel_{m.group(3)}($0) }},",
        source,
    )
    if patched != calls:
        fail(f"{calls} async call sites but {patched} freeFunc arguments patched")
    open(path, "w", encoding="utf-8").write(source)
    print(f"swift-cancellation.py: {calls} async calls cancellable")


if __name__ == "__main__":
    main()
