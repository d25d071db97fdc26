//! A real LAN: three `partage run` processes, each in its own network namespace, joined by veth
//! pairs to a bridge (addresses 10.77.0.0/24, assigned here, only inside these namespaces; see
//! `net_common::lan`).
//! mDNS on, no addresses given: they must discover each other and converge. Skips, saying why,
//! only where namespaces cannot be created (not root, no `ip`).

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

mod net_common;

use net_common::lan::Lan;
use net_common::*;

#[test]
fn net_lan_discovery_with_mdns_in_network_namespaces() {
    let Some(lan) = Lan::or_skip("net_lan_discovery_with_mdns_in_network_namespaces", "lan", 77, 3) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let dirs = three_neighbours(root.path());
    let mut procs: Vec<Running> = dirs
        .iter()
        .zip(&lan.nodes)
        .map(|(dir, ns)| Running::start(&["ip", "netns", "exec", ns], dir, &[]))
        .collect();
    let all = ["Perceuse", "Raclette", "Tente"];
    for (i, p) in procs.iter_mut().enumerate() {
        p.wait_for("an mDNS discovery", |v| v["event"] == "peer_discovered");
        for (j, title) in all.iter().enumerate() {
            if i != j {
                p.wait_for_item(title);
            }
        }
    }
    for p in procs.drain(..) {
        p.stop();
    }
    for dir in &dirs {
        assert_eq!(titles(dir), all, "{}", dir.display());
    }
    drop(lan);
}
