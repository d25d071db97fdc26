//! Property test of the lending state machine across replicas: random valid and invalid moves by
//! every member, exchanged in random orders, end with identical loans everywhere; a state is
//! only ever reached through a move its rightful party made; bookings never overlap unless
//! flagged as a conflict.

use partage::clock::{format_day, today};
use partage::{ItemDraft, ItemId, LoanFilter, LoanId, LoanState, LoanView, MemberId, NeighbourhoodId};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug)]
enum Move {
    Accept,
    Decline,
    Withdraw,
    HandOver,
    ConfirmReturn,
    Dispute,
    AnswerExtension(bool),
    Cancel,
    Receive,
    Return,
    Extend(i64),
}

#[derive(Clone, Debug)]
enum Op {
    Request { who: usize, item: usize, from: i64, len: i64 },
    Move { who: usize, loan: usize, mv: Move },
    Push { from: usize, to: usize },
    Tick,
}

fn mv() -> impl Strategy<Value = Move> {
    prop_oneof![
        Just(Move::Accept),
        Just(Move::Decline),
        Just(Move::Withdraw),
        Just(Move::HandOver),
        Just(Move::ConfirmReturn),
        Just(Move::Dispute),
        any::<bool>().prop_map(Move::AnswerExtension),
        Just(Move::Cancel),
        Just(Move::Receive),
        Just(Move::Return),
        (1..4i64).prop_map(Move::Extend),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..3usize, 0..12i64, 1..5i64).prop_map(|(who, item, from, len)| Op::Request { who, item, from, len }),
        6 => (0..3usize, any::<usize>(), mv()).prop_map(|(who, loan, mv)| Op::Move { who, loan, mv }),
        4 => (0..3usize, 0..3usize).prop_map(|(from, to)| Op::Push { from, to }),
        1 => Just(Op::Tick),
    ]
}

/// Which party's successful move each derived state needs.
struct Ledger {
    /// (loan, move name) → who made it successfully.
    made: HashMap<(LoanId, &'static str), HashSet<MemberId>>,
}

impl Ledger {
    fn by(&self, loan: &LoanView, what: &'static str, who: MemberId) -> bool {
        self.made.get(&(loan.id, what)).is_some_and(|s| s.contains(&who))
    }

    /// A state shown on a replica must come from moves the right party made.
    fn explains(&self, v: &LoanView) -> bool {
        let (l, b) = (v.lender, v.borrower);
        match v.state {
            LoanState::Requested => true,
            LoanState::Declined => self.by(v, "decline", l),
            LoanState::Accepted => self.by(v, "accept", l),
            LoanState::Cancelled => self.by(v, "cancel", b),
            LoanState::Withdrawn => self.by(v, "withdraw", l) && self.by(v, "accept", l),
            LoanState::HandedOver | LoanState::Overdue => {
                self.by(v, "hand_over", l) && self.by(v, "accept", l)
            }
            LoanState::Returned => self.by(v, "return", b) && self.by(v, "hand_over", l),
            LoanState::Closed => self.by(v, "confirm_return", l) && self.by(v, "hand_over", l),
        }
    }
}

fn check_invariants(nodes: &[TestNode], ledger: &Ledger) -> Result<(), TestCaseError> {
    for n in nodes {
        let loans = n.node.loans(&LoanFilter::default()).unwrap();
        for v in &loans {
            prop_assert!(ledger.explains(v), "{:?} shows {} without the right party's move", v.id, v.state);
        }
        let held: Vec<&LoanView> = loans.iter().filter(|v| v.state.books_item() && !v.conflict).collect();
        for (i, a) in held.iter().enumerate() {
            for b in &held[i + 1..] {
                let overlap = a.item == b.item && a.from <= b.until && b.from <= a.until;
                prop_assert!(!overlap, "bookings {} and {} overlap", a.id, b.id);
            }
        }
    }
    Ok(())
}

fn run(
    nodes: &[TestNode],
    ns: &NeighbourhoodId,
    items: &[ItemId],
    ops: &[Op],
    ledger: &mut Ledger,
) -> Result<(), TestCaseError> {
    let ids: Vec<MemberId> = nodes.iter().map(|n| n.node.identity().unwrap().unwrap().member).collect();
    let mut clock = 0;
    let mut known: Vec<LoanId> = Vec::new();
    for op in ops {
        match *op {
            Op::Request { who, item, from, len } => {
                let (f, u) =
                    (format_day(today() + clock + from), format_day(today() + clock + from + len - 1));
                if let Ok(v) = nodes[who].node.request_loan(&items[item], &f, &u, "") {
                    known.push(v.id);
                }
            }
            Op::Move { who, loan, mv } if !known.is_empty() => {
                let id = known[loan % known.len()];
                let n = &nodes[who].node;
                let (name, ok) = match mv {
                    Move::Accept => ("accept", n.accept_loan(&id, "").is_ok()),
                    Move::Decline => ("decline", n.decline_loan(&id, "").is_ok()),
                    Move::Withdraw => ("withdraw", n.withdraw_loan(&id, "").is_ok()),
                    Move::HandOver => ("hand_over", n.hand_over(&id).is_ok()),
                    Move::ConfirmReturn => ("confirm_return", n.confirm_return(&id, "").is_ok()),
                    Move::Dispute => ("dispute", n.report_not_returned(&id).is_ok()),
                    Move::AnswerExtension(yes) => ("answer_extension", n.answer_extension(&id, yes).is_ok()),
                    Move::Cancel => ("cancel", n.cancel_loan(&id).is_ok()),
                    Move::Receive => ("receive", n.confirm_receipt(&id).is_ok()),
                    Move::Return => ("return", n.mark_returned(&id).is_ok()),
                    Move::Extend(d) => {
                        let until = n.loan(&id).map(|v| v.until_day + d).unwrap_or(0);
                        ("extend", n.request_extension(&id, &format_day(until)).is_ok())
                    }
                };
                if ok {
                    ledger.made.entry((id, name)).or_default().insert(ids[who]);
                }
            }
            Op::Move { .. } => {}
            Op::Push { from, to } => {
                if from != to {
                    push(&nodes[from].node, &nodes[to].node, ns);
                }
            }
            Op::Tick => {
                clock += 3;
                for n in nodes {
                    n.node.shift_clock_days(clock).unwrap();
                }
            }
        }
        check_invariants(nodes, ledger)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn replicas_derive_identical_loans(ops in prop::collection::vec(op(), 1..60)) {
        let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
        let items: Vec<ItemId> = ["Perceuse", "Échelle", "Tente"]
            .iter()
            .enumerate()
            .map(|(i, t)| nodes[i].node.add_item(&ns, ItemDraft { max_loan_days: Some(5), ..draft(t) }).unwrap().item.id)
            .collect();
        sync_all(&nodes, &ns);
        let mut ledger = Ledger { made: HashMap::new() };
        run(&nodes, &ns, &items, &ops, &mut ledger)?;
        sync_all(&nodes, &ns);
        check_invariants(&nodes, &ledger)?;
        let reference = nodes[0].node.loans(&LoanFilter::default()).unwrap();
        for n in &nodes[1..] {
            prop_assert_eq!(&n.node.loans(&LoanFilter::default()).unwrap(), &reference);
        }
        // Only the two parties ever succeed at moving a loan.
        for ((loan, _), who) in &ledger.made {
            let v = reference.iter().find(|v| v.id == *loan).unwrap();
            prop_assert!(who.iter().all(|m| *m == v.lender || *m == v.borrower));
        }
    }
}
