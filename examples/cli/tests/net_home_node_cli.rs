//! `partage run` as a process (ADR 0019, docs/HOME_NODE.md). With `--home-node` it listens on the fixed
//! port 4001 and asks the LAN's router for a port mapping (UPnP); on a LAN with no router (a
//! network namespace, as root) it says so instead of failing. Skips, saying why, where namespaces
//! cannot be created.

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod net_common;

use net_common::lan::Lan;
use net_common::*;

#[test]
fn net_a_home_node_listens_on_its_fixed_port_and_reports_no_router() {
    let test = "net_a_home_node_listens_on_its_fixed_port_and_reports_no_router";
    let Some(lan) = Lan::or_skip(test, "hn", 84, 1) else { return };
    let root = tempfile::tempdir().unwrap();
    let [hugo, ..] = three_neighbours(root.path());
    let mut h = Running::start(&["ip", "netns", "exec", &lan.nodes[0]], &hugo, &["--home-node", "--no-mdns"]);
    h.wait_for("a listen address on port 4001", |v| {
        v["event"] == "listening" && v["addr"].as_str().is_some_and(|a| a.contains("/tcp/4001/"))
    });
    let mapping = h.wait_for("the port mapping's outcome", |v| v["event"] == "port_mapping");
    let state = mapping["state"].as_str().unwrap();
    assert!(state.contains("no router answered"), "{state}");
    h.stop();
}

/// `partage status` while `partage run` holds the store shows the running node: its connected
/// peers and how each is reached (here directly, on 127.0.0.1), and whether it can be dialed
/// (Alice runs as a home node and dials Bob back); after the run stops, the stored status again.
#[test]
fn net_status_while_running_shows_how_each_peer_is_reached() {
    let root = tempfile::tempdir().unwrap();
    let [alice, bob, _] = three_neighbours(root.path());
    let loopback = ["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"];
    let mut home = loopback.to_vec();
    home.extend(["--home-node", "--no-upnp"]);
    let mut a = Running::start(&[], &alice, &home);
    let alice_addr = a.address();
    let mut args = loopback.to_vec();
    args.extend(["--peer", &alice_addr]);
    let mut b = Running::start(&[], &bob, &args);
    b.wait_for("Alice's membership", |v| v["event"] == "peer_verified");
    let event = b.wait_for("a reachability test", |v| v["event"] == "reachability");
    assert_eq!(event["state"], "reachable", "{event}");
    let online = wait_for_status(&bob, |v| {
        v["online"]["peers"].as_array().is_some_and(|peers| peers.iter().any(|p| p["path"] == "direct"))
    });
    assert!(online["online"]["peer_id"].as_str().is_some_and(|id| id.starts_with("12D3")), "{online}");
    let reach = &online["online"]["reachability"];
    assert_eq!(reach["state"], "reachable", "{online}");
    assert!(reach["addresses"][0].as_str().is_some_and(|a| a.starts_with("/ip4/127.0.0.1/tcp/")), "{online}");
    b.stop();
    a.stop();
    let stored = json(&bob, &["status"]);
    assert!(stored.get("online").is_none() && stored["known_peers"] == 1, "{stored}");
}

/// Polls `partage status --json` until `pred` holds.
fn wait_for_status(dir: &std::path::Path, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let status = json(dir, &["status"]);
        if pred(&status) {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "status never showed it: {status}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
