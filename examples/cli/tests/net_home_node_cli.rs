//! `partage run --home-node` as a process (ADR 0019, docs/HOME_NODE.md): it listens on the fixed
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
