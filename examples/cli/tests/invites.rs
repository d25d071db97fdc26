//! Invites the neighbourhood enforces, played by an attacker with the release CLI: separate
//! `partage` processes over real libp2p on 127.0.0.1 (no mDNS). Expiry and uses are judged by
//! the members (whose clocks a test variable moves forward), never by the joiner's device.

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

mod net_common;

use net_common::*;
use serde_json::Value;
use std::path::Path;

/// Days the members' clocks run ahead of the joiner's in the expiry test.
const SHIFT: (&str, &str) = ("PARTAGE_TEST_CLOCK_SHIFT_DAYS", "3");
const LOCAL: [&str; 3] = ["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"];

fn init(dir: &Path, name: &str) {
    ok(dir, &["init", "--name", name]);
}

fn ticket(inviter: &Path, ns: &str, extra: &[&str]) -> String {
    let mut args = vec!["neighbourhood", "invite", ns];
    args.extend_from_slice(extra);
    json(inviter, &args)["ticket"].as_str().unwrap().to_string()
}

/// One `partage sync` against `peer` (it may be refused: its outcome is not the point).
fn sync_once(dir: &Path, peer: &str) -> String {
    let (_, out, err) = attempt(dir, &[], &["sync", "--peer", peer, "--timeout", "15"]);
    format!("{out}{err}")
}

fn confirmed(dir: &Path) -> bool {
    let list = json(dir, &["neighbourhood", "list"]);
    list[0]["confirmed"].as_bool().expect("confirmed flag")
}

fn member_names(dir: &Path, ns: &str) -> Vec<String> {
    let Value::Array(rows) = json(dir, &["neighbourhood", "members", ns]) else { panic!("an array") };
    let mut names: Vec<String> =
        rows.iter().map(|r| r["name"].as_str().unwrap_or_default().to_string()).collect();
    names.sort();
    names
}

/// Alice founds the neighbourhood and lends a drill. Returns its id.
fn founder(alice: &Path) -> String {
    init(alice, "Alice");
    let ns = json(alice, &["neighbourhood", "create", "Rue des Lilas"])["id"].as_str().unwrap().to_string();
    ok(alice, &["item", "add", "--title", "Perceuse"]);
    ns
}

#[test]
fn net_expired_ticket_gives_the_joiner_nothing_from_any_member() {
    let root = tempfile::tempdir().unwrap();
    let [alice, chloe, mallory] = ["alice", "chloe", "mallory"].map(|n| root.path().join(n));
    let ns = founder(&alice);
    // Chloé joins in time and is confirmed by Alice.
    init(&chloe, "Chloé");
    ok(&chloe, &["neighbourhood", "join", &ticket(&alice, &ns, &["--expires-in-days", "1"])]);
    let mut a = Running::start(&[], &alice, &LOCAL);
    let alice_addr = a.address();
    sync_once(&chloe, &alice_addr);
    assert!(confirmed(&chloe), "Chloé is confirmed by Alice");
    assert_eq!(titles(&chloe), ["Perceuse"]);
    a.stop();

    // A one-day ticket, used three days later by the members' clocks; Mallory's clock is set back,
    // so her own device still thinks it is valid and lets her join (offline).
    let late = ticket(&alice, &ns, &["--expires-in-days", "1", "--uses", "5"]);
    init(&mallory, "Mallory");
    let joined = json(&mallory, &["neighbourhood", "join", &late]);
    assert_eq!(joined["confirmed"], false, "{joined}");

    for member in [&alice, &chloe] {
        let mut m = Running::start_with_env(&[], &[SHIFT], member, &LOCAL);
        let addr = m.address();
        let out = sync_once(&mallory, &addr);
        m.wait_for("Mallory's refusal", |v| v["event"] == "peer_refused");
        m.stop();
        assert!(titles(&mallory).is_empty(), "Mallory got items from a member: {out}");
        assert!(!confirmed(&mallory), "Mallory must still be waiting: {out}");
        assert!(!member_names(member, &ns).contains(&"Mallory".to_string()));
    }
    let list = ok(&mallory, &["neighbourhood", "list"]);
    assert!(list.contains("waiting for a member to confirm"), "{list}");
}

#[test]
fn net_ticket_with_one_use_admits_one_person_and_refuses_the_second() {
    let root = tempfile::tempdir().unwrap();
    let [alice, bob, eve] = ["alice", "bob", "eve"].map(|n| root.path().join(n));
    let ns = founder(&alice);
    let once = ticket(&alice, &ns, &["--uses", "1"]);
    for (dir, name) in [(&bob, "Bob"), (&eve, "Eve")] {
        init(dir, name);
        ok(dir, &["neighbourhood", "join", &once]);
    }
    let mut a = Running::start(&[], &alice, &LOCAL);
    let addr = a.address();
    sync_once(&bob, &addr);
    assert_eq!(titles(&bob), ["Perceuse"]);
    assert!(confirmed(&bob));
    let out = sync_once(&eve, &addr);
    a.wait_for("Eve's refusal", |v| v["event"] == "peer_refused");
    a.stop();
    assert!(titles(&eve).is_empty(), "the second user of a one-use ticket got items: {out}");
    assert!(!confirmed(&eve));
    let members = json(&alice, &["neighbourhood", "members", &ns]);
    assert_eq!(member_names(&alice, &ns), ["Alice", "Bob"], "{members}");
    // `members` tells who came through which invite, confirmed by whom.
    let bob_row = members.as_array().unwrap().iter().find(|r| r["name"] == "Bob").unwrap().clone();
    assert_eq!(bob_row["inviter"], bob_row["confirmed_by"], "{bob_row}");
    assert!(bob_row["invite"].as_str().is_some_and(|i| i.len() == 64), "{bob_row}");
}

#[test]
fn net_revoked_member_cannot_come_back_with_the_old_ticket() {
    let root = tempfile::tempdir().unwrap();
    let [alice, bob, bob2, carol] = ["alice", "bob", "bob2", "carol"].map(|n| root.path().join(n));
    let ns = founder(&alice);
    // A shared ticket (a flyer): Bob and Carol both come in with it.
    let flyer = ticket(&alice, &ns, &["--uses", "5"]);
    for (dir, name) in [(&bob, "Bob"), (&carol, "Carol")] {
        init(dir, name);
        ok(dir, &["neighbourhood", "join", &flyer]);
    }
    let mut a = Running::start(&[], &alice, &LOCAL);
    let addr = a.address();
    sync_once(&bob, &addr);
    sync_once(&carol, &addr);
    a.stop();
    assert!(confirmed(&bob) && confirmed(&carol));
    let bob_id = json(&bob, &["whoami"])["member"].as_str().unwrap().to_string();
    ok(&alice, &["neighbourhood", "revoke", &ns, &bob_id]);
    assert_eq!(member_names(&alice, &ns), ["Alice", "Carol"]);

    // Bob comes back under a new identity with the same flyer: refused.
    init(&bob2, "Bob again");
    ok(&bob2, &["neighbourhood", "join", &flyer]);
    ok(&alice, &["item", "add", "--title", "Échelle"]);
    let mut a = Running::start(&[], &alice, &LOCAL);
    let addr = a.address();
    let out = sync_once(&bob2, &addr);
    a.wait_for("the refusal", |v| v["event"] == "peer_refused");
    assert!(titles(&bob2).is_empty(), "a revoked member came back: {out}");
    assert!(!confirmed(&bob2));
    // Carol, who came through the same flyer before the revocation, still syncs.
    sync_once(&carol, &addr);
    a.stop();
    assert_eq!(titles(&carol), ["Perceuse", "Échelle"]);
}
