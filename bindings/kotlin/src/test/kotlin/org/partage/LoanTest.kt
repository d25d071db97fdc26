package org.partage

import kotlinx.coroutines.flow.first
import org.partage.ffi.ErrorKind
import org.partage.ffi.ItemDraft
import org.partage.ffi.Loan
import org.partage.ffi.LoanFilter
import org.partage.ffi.LoanState
import org.partage.ffi.Node
import org.partage.ffi.PartageException
import org.partage.ffi.Reminder
import java.time.Instant
import java.time.LocalDate
import java.time.temporal.ChronoUnit
import java.time.ZoneOffset

/** Waits (through the Flow) until loan [id] is known on [node] in [state]. */
suspend fun awaitLoan(
    node: Node,
    id: String,
    state: LoanState,
): Loan = node.observeLoans(LoanFilter(mine = true)).first { loans -> loans.any { it.id == id && it.state == state } }.first { it.id == id }

fun loanTests() {
    test("a loan from request to return between two networked nodes, every move seen on the other side") {
        withNodes(2) { (alice, bob) ->
            val hood = networkedPair(alice, bob)
            bob.startNetwork(LOOPBACK)
            val drill = alice.addItem(hood, ItemDraft(title = "Perceuse", maxLoanDays = 7))
            awaitItem(bob, "Perceuse")

            val today = LocalDate.now(ZoneOffset.UTC)
            val before = Instant.now().truncatedTo(ChronoUnit.MILLIS)
            val request = bob.requestLoan(drill.id, today, today.plusDays(3), "Pour une étagère")
            // Days are LocalDate, instants Instant (the core keeps milliseconds).
            expectEq(today, request.from, "first day")
            expectEq(today.plusDays(3), request.until, "last day")
            check(!request.requestedAt.isBefore(before) && !request.requestedAt.isAfter(Instant.now())) {
                "requested at ${request.requestedAt}, not between $before and now"
            }
            expectEq(LoanState.REQUESTED, request.state, "state after request")
            val seen = awaitLoan(alice, request.id, LoanState.REQUESTED)
            expectEq("Bob", seen.borrowerName, "borrower name")
            expectEq("Pour une étagère", seen.message, "request message")
            check(alice.reminders(null).any { it is Reminder.NewRequest }) { "alice is reminded of the request" }

            val wrongParty = expectThrows<PartageException.NotAllowed> { bob.acceptLoan(request.id, "") }
            expectEq(ErrorKind.NOT_ALLOWED, wrongParty.kind, "wrong party kind")
            expectEq("only the lender (Alice) can accept this loan", wrongParty.message, "wrong party message")

            alice.acceptLoan(request.id, "Avec plaisir")
            expectEq("Avec plaisir", awaitLoan(bob, request.id, LoanState.ACCEPTED).answerMessage, "answer on bob's side")
            alice.handOver(request.id)
            awaitLoan(bob, request.id, LoanState.HANDED_OVER)
            check(bob.confirmReceipt(request.id).receiptConfirmed) { "receipt confirmed" }
            expectEq(LoanState.RETURNED, bob.markReturned(request.id).state, "returned by bob")
            awaitLoan(alice, request.id, LoanState.RETURNED)
            expectEq(LoanState.CLOSED, alice.confirmReturn(request.id, "comme neuve").state, "closed")
            expectEq("comme neuve", awaitLoan(bob, request.id, LoanState.CLOSED).conditionNote, "condition note")
            expectEq(1, bob.trust(hood, bob.identity()!!.memberId).completedAsBorrower, "bob's trust")

            val backwards = expectThrows<PartageException.InvalidLoan> { bob.requestLoan(drill.id, today.plusDays(3), today, "") }
            expectEq(ErrorKind.INVALID_LOAN, backwards.kind, "backwards dates kind")
            expectEq("the loan ends ($today) before it starts (${today.plusDays(3)})", backwards.message, "backwards dates message")
            val own =
                expectThrows<PartageException.InvalidLoan> {
                    alice.requestLoan(drill.id, today, today.plusDays(1), "")
                }
            expectEq("you cannot borrow your own item", own.message, "own item message")
            expectThrows<PartageException.UnknownLoan> { alice.loan("00".repeat(16)) }
        }
    }
}
