//! Building the standard workload: N items spread over M members of one neighbourhood, and
//! N/10 loans in various states, made through the real API and exchanged in-process.

use crate::adds::{self, Adds};
use crate::stats::Res;
use partage::clock::{format_day, today};
use partage::{LoanFilter, LoanState, NeighbourhoodId};
use partage_tests::{TestNode, neighbourhood, push};
use partage_workload::{SEED, XorShift, draft};

pub struct World {
    pub nodes: Vec<TestNode>,
    pub ns: NeighbourhoodId,
    pub adds: Adds,
    pub loans: usize,
}

/// What each loan is driven to, by its index modulo 7.
const PLAN: [LoanState; 7] = [
    LoanState::Requested,
    LoanState::Declined,
    LoanState::Accepted,
    LoanState::HandedOver,
    LoanState::Returned,
    LoanState::Closed,
    LoanState::Cancelled,
];

/// Members, items added one durable transaction at a time, then loans; node 0 (the hub) ends
/// up with every document.
pub fn build(items: usize, members: usize) -> Res<World> {
    let names: Vec<String> = (1..=members).map(|i| format!("Voisin {i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (nodes, ns) = neighbourhood(&refs);
    let hub = nodes.first().ok_or("no members")?;
    let mut rng = XorShift(SEED);
    let mut drafts = (0..items).map(|_| draft(&mut rng)).collect::<Vec<_>>().into_iter();
    // Item `i` goes to member `i % members`.
    let adds = adds::measure(items, |i| {
        let node = nodes.get(i % nodes.len()).ok_or("no member")?;
        node.node.add_item(&ns, drafts.next().ok_or("no draft")?)?;
        Ok(())
    })?;
    let loans = make_loans(&nodes, &ns, items / 10)?;
    for n in nodes.iter().skip(1) {
        push(&n.node, &hub.node, &ns);
    }
    Ok(World { nodes, ns, adds, loans })
}

/// Loan `i`: member `i % M` borrows from member `(i + 1) % M`, which drives it to `PLAN[i % 7]`.
fn make_loans(nodes: &[TestNode], ns: &NeighbourhoodId, count: usize) -> Res<usize> {
    let m = nodes.len();
    if m < 2 {
        return Ok(0);
    }
    let node = |i: usize| nodes.get(i % m).ok_or("no such member");
    let lender = |b: usize| (b + 1) % m;
    for b in 0..m {
        push(&node(lender(b))?.node, &node(b)?.node, ns);
    }
    // Requests: each borrower asks for distinct items of its lender.
    let mut made = 0;
    for i in 0..count {
        let (b, borrower) = (i % m, node(i)?);
        let owner = node(lender(b))?.node.identity().ok().flatten().map(|i| i.member);
        let theirs = borrower.node.list_items(&partage::ItemFilter { owner, ..Default::default() })?;
        let Some(item) = theirs.get(i / m) else { continue };
        let from = today() + 1 + (i % 20) as i64;
        let (f, u) = (format_day(from), format_day(from + 1));
        if borrower.node.request_loan(&item.item.id, &f, &u, &format!("bench {i}")).is_ok() {
            made += 1;
        }
    }
    let plan_of = |message: &str| -> LoanState {
        let i: usize = message.trim_start_matches("bench ").parse().unwrap_or(0);
        PLAN.get(i % PLAN.len()).copied().unwrap_or(LoanState::Requested)
    };
    let step = |lender_side: bool, f: &dyn Fn(&TestNode, &partage::LoanView, LoanState)| -> Res<()> {
        for b in 0..m {
            let (from, to) = if lender_side { (b, lender(b)) } else { (lender(b), b) };
            push(&node(from)?.node, &node(to)?.node, ns);
        }
        for n in nodes {
            for v in n.node.loans(&LoanFilter { mine: true, ..LoanFilter::default() })? {
                f(n, &v, plan_of(&v.message));
            }
        }
        Ok(())
    };
    let me = |n: &TestNode| n.node.identity().ok().flatten().map(|i| i.member);
    // Lenders answer.
    step(true, &|n, v, plan| {
        if me(n) == Some(v.lender) && v.state == LoanState::Requested && plan != LoanState::Requested {
            let _ = if plan == LoanState::Declined {
                n.node.decline_loan(&v.id, "")
            } else {
                n.node.accept_loan(&v.id, "")
            };
        }
    })?;
    // Lenders hand over; borrowers cancel.
    step(false, &|n, v, plan| {
        let mine_to_lend = me(n) == Some(v.lender) && v.state == LoanState::Accepted;
        if mine_to_lend && matches!(plan, LoanState::HandedOver | LoanState::Returned | LoanState::Closed) {
            let _ = n.node.hand_over(&v.id);
        }
        if me(n) == Some(v.borrower) && v.state == LoanState::Accepted && plan == LoanState::Cancelled {
            let _ = n.node.cancel_loan(&v.id);
        }
    })?;
    // Borrowers give back.
    step(false, &|n, v, plan| {
        if me(n) == Some(v.borrower)
            && v.state == LoanState::HandedOver
            && matches!(plan, LoanState::Returned | LoanState::Closed)
        {
            let _ = n.node.mark_returned(&v.id);
        }
    })?;
    // Lenders confirm.
    step(true, &|n, v, plan| {
        if me(n) == Some(v.lender) && v.state == LoanState::Returned && plan == LoanState::Closed {
            let _ = n.node.confirm_return(&v.id, "");
        }
    })?;
    Ok(made)
}
