// Swift tests of the Partage bindings: compiled with swiftc on Linux against the host build of
// libpartage_ffi.so (scripts/bindings/test-swift.sh).

import Foundation
import Partage

setvbuf(stdout, nil, _IOLBF, 0)  // line by line: a crash must not swallow the output before it
print("Partage \(partageVersion()): Swift bindings")
let runner = Runner()
await loggingTests(runner)
await networkTests(runner)
await backgroundTests(runner)
await loanTests(runner)
await eventTests(runner)
await sharedEventTests(runner)
await errorTests(runner)
await secretTests(runner)
await photoTests(runner)
runner.finish()
