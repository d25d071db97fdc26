import Foundation
import Partage

func errorTests(_ r: Runner) async {
    await r.test("bad input: typed errors with kind and message, and nothing changes") {
        try await withNodes(2) { nodes in
            let (alice, bob) = (nodes[0], nodes[1])
            let noId = try await expectError("no identity") { _ = try await alice.createNeighbourhood(name: "Trop tôt") }
            try expectEq(ErrorKind.noIdentity, noId.kind, "no identity kind")
            _ = try await alice.createIdentity(name: "Alice")
            _ = try await bob.createIdentity(name: "Bob")
            let hood = try await alice.createNeighbourhood(name: "Rue")

            let empty = try await expectError("empty title") {
                _ = try await alice.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "   "))
            }
            guard case let .invalidInput(message) = empty else { throw TestFailure(description: "not InvalidInput: \(empty)") }
            try expectEq("title is empty", message, "empty title message")
            try expectEq(ErrorKind.invalidInput, empty.kind, "empty title kind")

            let notTicket = try await expectError("bad ticket") { _ = try await bob.join(ticket: "hello") }
            try expectEq(ErrorKind.badTicket, notTicket.kind, "bad ticket kind")
            try expectEq("this is not a Partage ticket (it should start with \"partage2\")", notTicket.message, "bad ticket message")
            let ticket = try await alice.invite(neighbourhoodId: hood.id, expiresInDays: 1, uses: 1, addresses: [])
            let cut = try await expectError("cut ticket") { _ = try await bob.join(ticket: String(ticket.dropLast(12))) }
            try expectEq("this ticket is damaged or incomplete (was it copied in full?)", cut.message, "cut ticket")

            let negative = try await expectError("negative expiry") {
                _ = try await alice.invite(neighbourhoodId: hood.id, expiresInDays: -1, uses: 1, addresses: [])
            }
            guard case let .invalidInput(negativeMessage) = negative else { throw TestFailure(description: "not invalidInput: \(negative)") }
            try expectEq("expiry in days must not be negative, not -1", negativeMessage, "negative expiry")
            try expectEq("expiry in days must not be negative, not -1", negative.localizedDescription, "localizedDescription")

            let badId = try await expectError("bad id") { _ = try await alice.item(itemId: "xyz") }
            try expectEq("\"xyz\" is not a valid id", badId.message, "bad id message")
            let garbage = try await expectError("garbage bundle") { _ = try await bob.applySyncBundle(bundle: Data([1, 2, 3])) }
            try expectEq(ErrorKind.rejected, garbage.kind, "garbage kind")

            try expectEq(0, try await bob.listItems(filter: ItemFilter()).count, "bob's store unchanged")
            try expectEq(0, try await bob.neighbourhoods().count, "bob joined nothing")
        }
    }

    await r.test("error kinds come from Rust: an exhaustive switch over ErrorKind, with real failures") {
        try await withNodes(1) { nodes in
            let alice = nodes[0]
            var seen: [ErrorKind] = []
            func record(_ error: PartageError) {
                // Exhaustive and without `default`: a kind added in Rust breaks this compile.
                let advice: String
                switch error.kind {
                case .invalidInput: advice = "fix the input"
                case .badTicket: advice = "ask for a new ticket"
                case .notMember: advice = "join first"
                case .rejected: advice = "the data was refused"
                case .unknownLoan: advice = "no such loan"
                case .notAllowed: advice = "not your move"
                case .invalidLoan: advice = "check the dates"
                case .noIdentity: advice = "create an identity"
                case .alreadyInitialised: advice = "already set up"
                case .unknownNeighbourhood: advice = "no such neighbourhood"
                case .alreadyMember: advice = "already a member"
                case .notAdmin: advice = "ask an admin"
                case .unknownItem: advice = "no such item"
                case .notOwner: advice = "not your item"
                case .storeNotEmpty: advice = "use an empty directory"
                case .corruptExport: advice = "the export is damaged"
                case .io: advice = "check the file"
                case .network: advice = "check the network"
                case .paused: advice = "resume the network"
                case .stopped: advice = "start the network"
                case .busy: advice = "try again"
                case .storage: advice = "the store failed"
                case .internal: advice = "report a bug"
                }
                if !advice.isEmpty { seen.append(error.kind) }
            }
            record(try await expectError("no identity") { _ = try await alice.createNeighbourhood(name: "Tôt") })
            _ = try await alice.createIdentity(name: "Alice")
            record(try await expectError("init twice") { _ = try await alice.createIdentity(name: "Alice") })
            let hood = try await alice.createNeighbourhood(name: "Rue")
            record(try await expectError("empty title") {
                _ = try await alice.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: ""))
            })
            record(try await expectError("bad ticket") { _ = try await alice.join(ticket: "partage1garbage") })
            record(try await expectError("unknown item") { _ = try await alice.item(itemId: String(repeating: "0", count: 32)) })
            try expectEq([.noIdentity, .alreadyInitialised, .invalidInput, .badTicket, .unknownItem], seen, "kinds of real failures")
            try expectEq(["no_identity", "already_initialised", "invalid_input", "bad_ticket", "unknown_item"],
                         seen.map(\.code), "codes")
            try expectEq(ErrorKind.allCases.count, Set(ErrorKind.allCases.map(\.code)).count, "distinct codes")
            try expectEq(ErrorKind.stopped, PartageError.stopped(message: "x").kind, "constructed Stopped")
            try expectEq(ErrorKind.internal, PartageError.internal(message: "x").kind, "constructed Internal")
        }
    }
}

