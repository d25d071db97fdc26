import Foundation
import Partage

func errorTests(_ r: Runner) async {
    await r.test("bad input: typed errors with kind and message, and nothing changes") {
        try await withNodes(2) { nodes in
            let (alice, bob) = (nodes[0], nodes[1])
            let noId = try await expectError("no identity") { _ = try await alice.createNeighbourhood(name: "Trop tôt") }
            try expectEq("no_identity", noId.kind, "no identity kind")
            _ = try await alice.`init`(name: "Alice")
            _ = try await bob.`init`(name: "Bob")
            let hood = try await alice.createNeighbourhood(name: "Rue")

            let empty = try await expectError("empty title") {
                _ = try await alice.addItem(neighbourhoodId: hood.id, draft: ItemDraft(title: "   "))
            }
            guard case let .InvalidInput(message) = empty else { throw TestFailure(description: "not InvalidInput: \(empty)") }
            try expectEq("title is empty", message, "empty title message")
            try expectEq("invalid_input", empty.kind, "empty title kind")

            let notTicket = try await expectError("bad ticket") { _ = try await bob.join(ticket: "hello") }
            try expectEq("bad_ticket", notTicket.kind, "bad ticket kind")
            try expectEq("this is not a Partage ticket (it should start with \"partage1\")", notTicket.message, "bad ticket message")
            let ticket = try await alice.invite(neighbourhoodId: hood.id, expiresInDays: 1, uses: 1, addresses: [])
            let cut = try await expectError("cut ticket") { _ = try await bob.join(ticket: String(ticket.dropLast(12))) }
            try expectEq("this ticket is damaged or incomplete (was it copied in full?)", cut.message, "cut ticket")

            let badId = try await expectError("bad id") { _ = try await alice.item(itemId: "xyz") }
            try expectEq("\"xyz\" is not a valid id", badId.message, "bad id message")
            let garbage = try await expectError("garbage bundle") { _ = try await bob.applySyncBundle(bundle: Data([1, 2, 3])) }
            try expectEq("rejected", garbage.kind, "garbage kind")

            try expectEq(0, try await bob.listItems(filter: ItemFilter()).count, "bob's store unchanged")
            try expectEq(0, try await bob.neighbourhoods().count, "bob joined nothing")
        }
    }
}
