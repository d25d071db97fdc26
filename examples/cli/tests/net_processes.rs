//! Separate `partage` processes syncing over real libp2p on 127.0.0.1 (no mDNS).

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

#[test]
fn net_separate_processes_converge() {
    let root = tempfile::tempdir().unwrap();
    let [alice, bob, chloe] = three_neighbours(root.path());
    let local = ["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"];

    let mut a = Running::start(&[], &alice, &local);
    let alice_addr = a.address();
    let mut args = local.to_vec();
    args.extend(["--peer", alice_addr.as_str()]);
    let mut b = Running::start(&[], &bob, &args);
    let bob_addr = b.address();
    // Bob and Alice find each other, prove membership, exchange documents.
    b.wait_for_item("Perceuse");
    a.wait_for_item("Raclette");
    b.wait_for("Alice's membership", |v| v["event"] == "peer_verified");

    // Chloé syncs once with Bob and gets Alice's item through him; Bob gets hers and passes it on
    // to Alice live.
    let out = ok(&chloe, &["sync", "--peer", &bob_addr, "--timeout", "60"]);
    assert!(out.contains("synced with"), "{out}");
    b.wait_for_item("Tente");
    a.wait_for_item("Tente");
    a.stop();
    b.stop();

    let all = ["Perceuse", "Raclette", "Tente"];
    for dir in [&alice, &bob, &chloe] {
        assert_eq!(titles(dir), all, "{}", dir.display());
    }
    // Chloé remembers Bob; Bob remembers Alice and Chloé.
    let peers = json(&chloe, &["peers"]);
    assert_eq!(peers.as_array().map(Vec::len), Some(1), "{peers}");
    let status = ok(&bob, &["status"]);
    assert!(status.contains("known peers: 2"), "{status}");
}

#[test]
fn net_sync_with_an_unreachable_peer_fails_with_one_line() {
    let root = tempfile::tempdir().unwrap();
    let [alice, ..] = three_neighbours(root.path());
    // Nothing listens on port 1 of 127.0.0.1.
    let o = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&alice)
        .args(["sync", "--peer", "/ip4/127.0.0.1/tcp/1", "--timeout", "20"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: could not reach any peer"), "{err}");
}

#[test]
fn net_ticket_address_lets_the_joiner_find_the_inviter() {
    let root = tempfile::tempdir().unwrap();
    let (alice, bob) = (root.path().join("alice"), root.path().join("bob"));
    ok(&alice, &["init", "--name", "Alice"]);
    ok(&bob, &["init", "--name", "Bob"]);
    let ns = json(&alice, &["neighbourhood", "create", "Rue des Lilas"])["id"].as_str().unwrap().to_string();
    ok(&alice, &["item", "add", "--title", "Perceuse"]);
    // The address Alice will listen on, with her peer id, goes into the ticket.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("/ip4/127.0.0.1/tcp/{port}");
    let peer_id = json(&alice, &["status", "--listen", &listen])["peer_id"].as_str().unwrap().to_string();
    let addr = format!("{listen}/p2p/{peer_id}");
    let bad = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&alice)
        .args(["neighbourhood", "invite", &ns, "--addr", "not an address"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let ticket = json(&alice, &["neighbourhood", "invite", &ns, "--addr", &addr])["ticket"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&bob, &["neighbourhood", "join", &ticket]);

    let a = Running::start(&[], &alice, &["--listen", &listen, "--no-mdns"]);
    // Bob is given no address: his node dials the one in the ticket.
    let mut b = Running::start(&[], &bob, &["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    b.wait_for_item("Perceuse");
    b.stop();
    a.stop();
    assert_eq!(titles(&bob), ["Perceuse"]);
}
