#!/usr/bin/env python3
"""Gives the uniffi-generated Swift errors lowerCamelCase cases: `PartageError.badTicket(message:)`,
`ListenerError.failed(reason:)`, `SecretStoreError.failed(reason:)`.

uniffi 0.32 names the cases of an error enum in UpperCamelCase (`.BadTicket`), against Swift's API
guidelines and unlike the generated `ErrorKind` (`.badTicket`); its `rename` table cannot help (the
Swift template re-capitalises every variant name). This rewrites the generated file in place, inside
each error enum listed in ERRORS and its converter only:

- `case BadTicket(message: String)` becomes `case badTicket(message: String)`;
- `.BadTicket(` (the converter's reads and its `case .BadTicket` matches) becomes `.badTicket(`.

The readable message (`LocalizedError.errorDescription`) is the Swift layer's job
(`bindings/swift/Sources/Partage/Errors.swift`; uniffi's debug dump is turned off in uniffi.toml).
The script fails loudly if the generated code does not have the shape it expects (a new uniffi
version): update it together with uniffi.

Usage: swift-error-cases.py path/to/PartageFFI.swift
"""

import re
import sys

# Every error type of the bindings (bindings/src: error.rs, events.rs, secrets.rs).
ERRORS = ["PartageError", "ListenerError", "SecretStoreError"]
MARKER = "// Patched by scripts/bindings/swift-error-cases.py: lowerCamelCase cases."


def fail(message):
    sys.exit(f"swift-error-cases.py: {message}")


def block(source, header):
    """The span of the `{ ... }` block opened on the line of `header`."""
    start = source.find(header)
    if start < 0:
        fail(f"no `{header}` in the generated Swift (did uniffi change?)")
    depth = 0
    for i in range(source.index("{", start), len(source)):
        if source[i] == "{":
            depth += 1
        elif source[i] == "}":
            depth -= 1
            if depth == 0:
                return start, i + 1
    fail(f"the block of `{header}` never closes")


# Swift keywords that need backticks where a case is declared (`case `internal`(...)`); after a
# dot (`.internal(`) they need none.
KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import",
    "init", "inout", "internal", "let", "open", "operator", "private", "protocol", "public",
    "static", "struct", "subscript", "typealias", "var", "break", "case", "continue", "default",
    "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch",
    "where", "while", "as", "catch", "false", "is", "nil", "rethrows", "super", "self", "throw",
    "throws", "true", "try",
}


def lower_first(name):
    return name[0].lower() + name[1:]


def declared(name):
    return f"`{name}`" if name in KEYWORDS else name


def patch(source, name):
    """Renames the cases of error enum `name` and in its converter; returns (source, count)."""
    start, end = block(source, f"enum {name}: Swift.Error")
    enum = source[start:end]
    cases = re.findall(r"^\s*case ([A-Z]\w*)\(", enum, re.MULTILINE)
    if not cases:
        fail(f"no `case X(...)` in {name} (did uniffi change?)")
    for case in cases:
        enum = re.sub(rf"\bcase {case}\(", f"case {declared(lower_first(case))}(", enum)
    source = source[:start] + MARKER + "\n" + enum + source[end:]

    start, end = block(source, f"public struct FfiConverterType{name}: FfiConverterRustBuffer")
    converter = source[start:end]
    for case in cases:
        converter, n = re.subn(rf"\.{case}\(", f".{lower_first(case)}(", converter)
        if n < 2:
            fail(f"{name}'s converter reads or writes .{case} {n} times, expected 2 (did uniffi change?)")
    return source[:start] + converter + source[end:], len(cases)


def main():
    if len(sys.argv) != 2:
        fail("usage: swift-error-cases.py PartageFFI.swift")
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        source = f.read()
    if MARKER in source:
        print("swift-error-cases.py: already patched")
        return

    total = 0
    for name in ERRORS:
        source, count = patch(source, name)
        total += count

    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    print(f"swift-error-cases.py: {total} cases of {len(ERRORS)} error types in lowerCamelCase")


if __name__ == "__main__":
    main()
