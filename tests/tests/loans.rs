//! Scenarios for every path of the lending workflow, across replicas.

use partage::clock::{format_day, today};
use partage::{Error, Event, ItemDraft, LoanError, LoanFilter, LoanState, LoanView, Reminder};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};

fn day(offset: i64) -> String {
    format_day(today() + offset)
}

/// Lender Alice with a drill (max 7 days), borrowers Bob and Chloé, all in sync.
fn setup() -> (Vec<TestNode>, partage::NeighbourhoodId, partage::ItemId) {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let drill = nodes[0]
        .node
        .add_item(&ns, ItemDraft { max_loan_days: Some(7), ..draft("Perceuse à percussion") })
        .unwrap()
        .item
        .id;
    sync_all(&nodes, &ns);
    (nodes, ns, drill)
}

fn state_everywhere(nodes: &[TestNode], loan: &LoanView) -> Vec<LoanState> {
    nodes.iter().map(|n| n.node.loan(&loan.id).unwrap().state).collect()
}

#[test]
fn request_accept_handover_return_close() {
    let (nodes, ns, drill) = setup();
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    let mut events = alice.subscribe();
    let loan = bob.request_loan(&drill, &day(1), &day(3), "Pour monter une étagère").unwrap();
    assert_eq!(loan.state, LoanState::Requested);
    assert_eq!((loan.from.as_str(), loan.until.as_str()), (day(1).as_str(), day(3).as_str()));
    push(bob, alice, &ns);
    // Alice's device learns of the request through the event stream and the reminders.
    let seen = std::iter::from_fn(|| events.try_recv()).any(|e| {
        matches!(e, Event::LoanUpdated { ref loan, previous: None } if loan.state == LoanState::Requested)
    });
    assert!(seen, "no LoanUpdated event for the incoming request");
    assert!(matches!(alice.reminders(None).unwrap().as_slice(), [Reminder::NewRequest { .. }]));

    alice.accept_loan(&loan.id, "Passe samedi").unwrap();
    push(alice, bob, &ns);
    assert_eq!(bob.loan(&loan.id).unwrap().answer_message, "Passe samedi");
    assert!(matches!(bob.reminders(None).unwrap().as_slice(), [Reminder::RequestAnswered { .. }]));
    assert!(matches!(bob.reminders(Some(&day(1))).unwrap()[0], Reminder::PickupToday { .. }));

    alice.hand_over(&loan.id).unwrap();
    push(alice, bob, &ns);
    bob.confirm_receipt(&loan.id).unwrap();
    assert!(bob.loan(&loan.id).unwrap().receipt_confirmed);
    assert!(matches!(bob.reminders(Some(&day(2))).unwrap()[0], Reminder::DueTomorrow { .. }));
    bob.mark_returned(&loan.id).unwrap();
    push(bob, alice, &ns);
    assert_eq!(alice.loan(&loan.id).unwrap().state, LoanState::Returned);
    alice.confirm_return(&loan.id, "Comme neuve").unwrap();
    sync_all(&nodes, &ns);
    assert_eq!(state_everywhere(&nodes, &loan), vec![LoanState::Closed; 3]);
    assert_eq!(nodes[2].node.loan(&loan.id).unwrap().condition_note, "Comme neuve");

    let bob_id = bob.identity().unwrap().unwrap().member;
    let alice_id = alice.identity().unwrap().unwrap().member;
    let trust = nodes[2].node.trust(&ns, &bob_id).unwrap();
    assert_eq!((trust.completed_as_borrower, trust.on_time_returns, trust.completed_as_lender), (1, 1, 0));
    assert_eq!(nodes[2].node.trust(&ns, &alice_id).unwrap().completed_as_lender, 1);
}

#[test]
fn decline_cancel_and_withdraw() {
    let (nodes, ns, drill) = setup();
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    let declined = bob.request_loan(&drill, &day(1), &day(2), "").unwrap();
    push(bob, alice, &ns);
    alice.decline_loan(&declined.id, "Elle est en panne").unwrap();
    let cancelled = chloe.request_loan(&drill, &day(10), &day(11), "").unwrap();
    push(chloe, alice, &ns);
    alice.accept_loan(&cancelled.id, "").unwrap();
    push(alice, chloe, &ns);
    chloe.cancel_loan(&cancelled.id).unwrap();
    let withdrawn = bob.request_loan(&drill, &day(20), &day(21), "").unwrap();
    push(bob, alice, &ns);
    alice.accept_loan(&withdrawn.id, "").unwrap();
    alice.withdraw_loan(&withdrawn.id, "Je pars en vacances avec").unwrap();
    sync_all(&nodes, &ns);
    assert_eq!(state_everywhere(&nodes, &declined), vec![LoanState::Declined; 3]);
    assert_eq!(state_everywhere(&nodes, &cancelled), vec![LoanState::Cancelled; 3]);
    assert_eq!(state_everywhere(&nodes, &withdrawn), vec![LoanState::Withdrawn; 3]);
    // Final states accept no further moves.
    let err = bob.cancel_loan(&withdrawn.id).unwrap_err();
    assert_eq!(err.to_string(), "cannot cancel a loan that is withdrawn");
}

#[test]
fn extension_overdue_and_dispute() {
    let (nodes, ns, drill) = setup();
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    let loan = bob.request_loan(&drill, &day(0), &day(2), "").unwrap();
    push(bob, alice, &ns);
    alice.accept_loan(&loan.id, "").unwrap();
    alice.hand_over(&loan.id).unwrap();
    push(alice, bob, &ns);

    let err = bob.request_extension(&loan.id, &day(9)).unwrap_err();
    assert!(matches!(err, Error::Loan(LoanError::TooLong { days: 10, max: 7, .. })), "{err}");
    bob.request_extension(&loan.id, &day(4)).unwrap();
    push(bob, alice, &ns);
    assert_eq!(alice.loan(&loan.id).unwrap().pending_extension, Some(day(4)));
    alice.answer_extension(&loan.id, true).unwrap();
    push(alice, bob, &ns);
    let extended = bob.loan(&loan.id).unwrap();
    assert_eq!((extended.until.clone(), extended.pending_extension.clone()), (day(4), None));

    // Six days later the drill is overdue on every replica.
    for n in &nodes {
        n.node.shift_clock_days(6).unwrap();
    }
    sync_all(&nodes, &ns);
    assert_eq!(state_everywhere(&nodes, &loan), vec![LoanState::Overdue; 3]);
    assert!(matches!(bob.reminders(None).unwrap().as_slice(), [Reminder::Overdue { .. }]));
    assert!(matches!(bob.report_not_returned(&loan.id), Err(Error::Loan(LoanError::NotYourMove { .. }))));
    alice.report_not_returned(&loan.id).unwrap();
    push(alice, bob, &ns);
    assert!(bob.loan(&loan.id).unwrap().disputed);
    // Before the last day the lender could not have disputed.
    let early = nodes[2].node.request_loan(&drill, &day(8), &day(9), "").unwrap();
    push(&nodes[2].node, alice, &ns);
    alice.accept_loan(&early.id, "").unwrap();
    alice.hand_over(&early.id).unwrap();
    let err = alice.report_not_returned(&early.id).unwrap_err();
    assert_eq!(err.to_string(), "cannot report as not returned a loan that is handed_over");
}

#[test]
fn waitlist_hands_the_item_to_the_next_requester() {
    let (nodes, ns, drill) = setup();
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    let first = bob.request_loan(&drill, &day(1), &day(5), "").unwrap();
    push(bob, alice, &ns);
    alice.accept_loan(&first.id, "").unwrap();
    sync_all(&nodes, &ns);
    let queued = chloe.request_loan(&drill, &day(3), &day(4), "").unwrap();
    assert!(queued.waitlisted, "overlaps Bob's booking");
    push(chloe, alice, &ns);
    let err = alice.accept_loan(&queued.id, "").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("\"Perceuse à percussion\" is already booked from {} to {}", day(1), day(5))
    );
    let mut events = chloe.subscribe();
    bob.cancel_loan(&first.id).unwrap();
    push(bob, chloe, &ns);
    let available: Vec<_> = std::iter::from_fn(|| events.try_recv())
        .filter_map(|e| match e {
            Event::LoanAvailable { loan } => Some(loan.id),
            _ => None,
        })
        .collect();
    assert_eq!(available, vec![queued.id], "Chloé is told the drill is free");
    push(chloe, alice, &ns);
    push(bob, alice, &ns);
    assert!(!alice.loan(&queued.id).unwrap().waitlisted);
    alice.accept_loan(&queued.id, "").unwrap();
    assert_eq!(alice.loan(&queued.id).unwrap().state, LoanState::Accepted);
}

#[test]
fn bad_loan_input_is_refused_without_change() {
    let (nodes, ns, drill) = setup();
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    let cases: Vec<(Result<LoanView, Error>, String)> = vec![
        (
            bob.request_loan(&drill, &day(3), &day(1), ""),
            format!("the loan ends ({}) before it starts ({})", day(1), day(3)),
        ),
        (
            bob.request_loan(&drill, &day(1), &day(10), ""),
            "10 days is longer than the 7 days the owner lends \"Perceuse à percussion\" for".into(),
        ),
        (alice.request_loan(&drill, &day(1), &day(2), ""), "you cannot borrow your own item".into()),
        (
            bob.request_loan(&drill, "demain", &day(2), ""),
            "\"demain\" is not a date (use YYYY-MM-DD, e.g. 2026-12-01)".into(),
        ),
        (
            bob.request_loan(&drill, &day(-2), &day(1), ""),
            format!("the loan cannot start in the past ({})", day(-2)),
        ),
        (
            bob.request_loan(&drill, &day(1), &day(2), &"x".repeat(1001)),
            "message is too long (1001 characters, at most 1000)".into(),
        ),
        (bob.accept_loan(&partage::LoanId([9; 16]), ""), "unknown loan 09090909".into()),
    ];
    for (result, message) in cases {
        assert_eq!(result.unwrap_err().to_string(), message);
    }
    assert!(bob.loans(&LoanFilter::default()).unwrap().is_empty());

    let loan = bob.request_loan(&drill, &day(1), &day(2), "").unwrap();
    sync_all(&nodes, &ns);
    let before = alice.loans(&LoanFilter::default()).unwrap();
    // The borrower cannot accept their own request; a third member cannot touch the loan.
    let err = bob.accept_loan(&loan.id, "").unwrap_err();
    assert_eq!(err.to_string(), "only the lender (Alice) can accept this loan");
    assert!(matches!(chloe.cancel_loan(&loan.id), Err(Error::Loan(LoanError::NotYourMove { .. }))));
    assert!(matches!(chloe.hand_over(&loan.id), Err(Error::Loan(LoanError::NotYourMove { .. }))));
    assert!(matches!(alice.hand_over(&loan.id), Err(Error::Loan(LoanError::NotNow { .. }))));
    assert!(matches!(bob.mark_returned(&loan.id), Err(Error::Loan(LoanError::NotNow { .. }))));
    sync_all(&nodes, &ns);
    assert_eq!(alice.loans(&LoanFilter::default()).unwrap(), before);

    // A paused item cannot be requested.
    alice.set_available(&drill, false).unwrap();
    sync_all(&nodes, &ns);
    let err = chloe.request_loan(&drill, &day(5), &day(6), "").unwrap_err();
    assert_eq!(err.to_string(), "\"Perceuse à percussion\" is paused by its owner and cannot be requested");
}

#[test]
fn loans_survive_reopen_and_export() {
    let (mut nodes, ns, drill) = setup();
    let loan = nodes[1].node.request_loan(&drill, &day(1), &day(2), "merci").unwrap();
    push(&nodes[1].node, &nodes[0].node, &ns);
    nodes[0].node.accept_loan(&loan.id, "").unwrap();
    let alice = nodes.remove(0);
    let before = alice.node.loans(&LoanFilter::default()).unwrap();
    let alice = alice.reopen();
    assert_eq!(alice.node.loans(&LoanFilter::default()).unwrap(), before);
    let file = alice.dir.path().join("export.json");
    alice.node.export_to_file(&file).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fresh = partage::Node::open(dir.path()).unwrap();
    fresh.import_from_file(&file).unwrap();
    assert_eq!(fresh.loans(&LoanFilter::default()).unwrap(), before);
}
