import Foundation
import Partage

/// Waits until loan `id` is in `state` on `node`.
func awaitLoan(_ node: Node, _ id: String, _ state: LoanState) async throws -> Loan {
    let loans = try await first(try node.observeLoans(filter: LoanFilter(mine: true))) {
        $0.contains { $0.id == id && $0.state == state }
    }
    return loans.first { $0.id == id }!
}

func loanTests(_ r: Runner) async {
    await r.test("a loan from request to return between two networked nodes") {
        try await withNodes(2) { nodes in
            let (alice, bob) = (nodes[0], nodes[1])
            let hood = try await networkedPair(alice, bob)
            try await bob.startNetwork(config: loopback)
            let drill = try await alice.addItem(neighbourhoodId: hood, draft: ItemDraft(title: "Perceuse", maxLoanDays: 7))
            _ = try await awaitItem(bob, "Perceuse")

            let request = try await bob.requestLoan(
                itemId: drill.id, from: today(), until: today(plusDays: 3), message: "Pour une étagère")
            try expectEq(.requested, request.state, "state after request")
            // Days are Dates (start of the day here), instants Dates, durations Duration.
            try expectEq(today(), request.from, "first day")
            try expectEq(today(plusDays: 3), request.until, "last day")
            try expect(request.requestedAt <= Date() && request.requestedAt > today(plusDays: -1), "requested at \(request.requestedAt)")
            let seen = try await awaitLoan(alice, request.id, .requested)
            try expectEq("Bob", seen.borrowerName, "borrower name")

            let wrong = try await expectError("bob accepts") { _ = try await bob.acceptLoan(loanId: request.id, message: "") }
            try expectEq(ErrorKind.notAllowed, wrong.kind, "wrong party kind")
            try expectEq("only the lender (Alice) can accept this loan", wrong.message, "wrong party message")

            _ = try await alice.acceptLoan(loanId: request.id, message: "Avec plaisir")
            try expectEq("Avec plaisir", try await awaitLoan(bob, request.id, .accepted).answerMessage, "answer")
            _ = try await alice.handOver(loanId: request.id)
            _ = try await awaitLoan(bob, request.id, .handedOver)
            _ = try await bob.confirmReceipt(loanId: request.id)
            _ = try await bob.markReturned(loanId: request.id)
            _ = try await awaitLoan(alice, request.id, .returned)
            try expectEq(.closed, try await alice.confirmReturn(loanId: request.id, conditionNote: "comme neuve").state, "closed")
            try expectEq("comme neuve", try await awaitLoan(bob, request.id, .closed).conditionNote, "condition note")

            let backwards = try await expectError("backwards dates") {
                _ = try await bob.requestLoan(itemId: drill.id, from: today(plusDays: 3), until: today(), message: "")
            }
            try expectEq(ErrorKind.invalidLoan, backwards.kind, "backwards dates kind")
            try expect(backwards.message.hasPrefix("the loan ends ("), "backwards dates message: \(backwards.message)")
            // LocalizedError: what an alert shows is the core's message, not a dump of the enum.
            try expectEq(backwards.message, backwards.localizedDescription, "localizedDescription")
            try expectEq(backwards.message, (backwards as Error).localizedDescription, "as Error")
        }
    }
}
