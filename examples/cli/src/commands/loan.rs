//! `partage loan …` and `partage reminders`.

use crate::args::{LoanArgs, LoanCmd, LoanMessageArgs};
use crate::error::CliResult;
use crate::output::Out;
use crate::resolve;
use partage::{LoanFilter, LoanView, Node, Reminder};

pub fn run(node: &Node, cmd: LoanCmd, out: &mut Out) -> CliResult {
    let id = |typed: &str| resolve::loan(node, typed);
    let view = match cmd {
        LoanCmd::Request { item, from, until, message } => {
            let view = node.request_loan(&resolve::item(node, &item)?, &from, &until, &message)?;
            if out.json {
                return out.write_json(&view);
            }
            return out.line(view.id);
        }
        LoanCmd::Accept(LoanMessageArgs { loan, message }) => node.accept_loan(&id(&loan)?, &message)?,
        LoanCmd::Decline(LoanMessageArgs { loan, message }) => node.decline_loan(&id(&loan)?, &message)?,
        LoanCmd::Handover(LoanArgs { loan }) => node.hand_over(&id(&loan)?)?,
        LoanCmd::Receive(LoanArgs { loan }) => node.confirm_receipt(&id(&loan)?)?,
        LoanCmd::Return(LoanArgs { loan }) => node.mark_returned(&id(&loan)?)?,
        LoanCmd::ConfirmReturn(LoanMessageArgs { loan, message }) => {
            node.confirm_return(&id(&loan)?, &message)?
        }
        LoanCmd::Cancel(LoanArgs { loan }) => node.cancel_loan(&id(&loan)?)?,
        LoanCmd::Withdraw(LoanMessageArgs { loan, message }) => node.withdraw_loan(&id(&loan)?, &message)?,
        LoanCmd::Extend { loan, until } => node.request_extension(&id(&loan)?, &until)?,
        LoanCmd::AcceptExtension(LoanArgs { loan }) => node.answer_extension(&id(&loan)?, true)?,
        LoanCmd::DeclineExtension(LoanArgs { loan }) => node.answer_extension(&id(&loan)?, false)?,
        LoanCmd::Dispute(LoanArgs { loan }) => node.report_not_returned(&id(&loan)?)?,
        LoanCmd::Show(LoanArgs { loan }) => node.loan(&id(&loan)?)?,
        LoanCmd::List { mine } => {
            let loans = node.loans(&LoanFilter { mine, ..LoanFilter::default() })?;
            if out.json {
                return out.write_json(&loans);
            }
            for v in &loans {
                out.line(loan_line(v))?;
            }
            return Ok(());
        }
    };
    if out.json {
        return out.write_json(&view);
    }
    out.line(loan_line(&view))
}

pub fn reminders(node: &Node, on: Option<&str>, out: &mut Out) -> CliResult {
    let list = node.reminders(on)?;
    if out.json {
        return out.write_json(&list);
    }
    if list.is_empty() {
        return out.line("nothing to remind you of");
    }
    for r in &list {
        let (what, v) = match r {
            Reminder::PickupToday { loan } => ("pickup today", loan),
            Reminder::DueTomorrow { loan } => ("due back tomorrow", loan),
            Reminder::Overdue { loan } => ("overdue", loan),
            Reminder::NewRequest { loan } => ("new request", loan),
            Reminder::RequestAnswered { loan } => ("request answered", loan),
            Reminder::Conflict { loan } => ("double booking: withdraw one", loan),
        };
        out.line(format_args!("{what}: {}", loan_line(v)))?;
    }
    Ok(())
}

/// `<id8>  <state>  <title>  <from>..<until>  <lender> → <borrower>` plus flags.
fn loan_line(v: &LoanView) -> String {
    let mut line = format!(
        "{}  {:<11}  {}  {}..{}  {} → {}",
        v.id.short(),
        v.state.as_str(),
        v.item_title,
        v.from,
        v.until,
        v.lender_name,
        v.borrower_name
    );
    if v.conflict {
        line.push_str("  (conflict)");
    }
    if v.waitlisted {
        line.push_str("  (waitlisted)");
    }
    if let Some(until) = &v.pending_extension {
        line.push_str(&format!("  (extension to {until} asked)"));
    }
    if v.disputed {
        line.push_str("  (reported not returned)");
    }
    line
}
