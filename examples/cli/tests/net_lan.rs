//! A real LAN: three `partage run` processes, each in its own network namespace, joined by veth
//! pairs to a bridge (addresses 10.77.0.0/24, assigned here, only inside these namespaces).
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

use net_common::*;
use std::process::Command;

/// Network namespaces of one test run, deleted on drop (which also deletes their links).
struct Lan {
    hub: String,
    nodes: Vec<String>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`ip {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl Lan {
    fn new(n: usize) -> Result<Lan, String> {
        let tag = std::process::id() % 100_000;
        let hub = format!("ptg{tag}hub");
        ip(&["netns", "add", &hub])?;
        let mut lan = Lan { hub: hub.clone(), nodes: Vec::new() };
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &hub, "link", "set", "br0", "up"])?;
        for i in 1..=n {
            let ns = format!("ptg{tag}n{i}");
            ip(&["netns", "add", &ns])?;
            lan.nodes.push(ns.clone());
            let port = format!("p{i}");
            // Both ends are created directly inside the namespaces: nothing touches the host's.
            ip(&[
                "link", "add", "name", "eth0", "netns", &ns, "type", "veth", "peer", "name", &port, "netns",
                &hub,
            ])?;
            ip(&["-n", &hub, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &hub, "link", "set", &port, "up"])?;
            ip(&["-n", &ns, "addr", "add", &format!("10.77.0.{i}/24"), "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", "eth0"])?;
        }
        Ok(lan)
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in self.nodes.iter().chain([&self.hub]) {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

#[test]
fn net_lan_discovery_with_mdns_in_network_namespaces() {
    let lan = match Lan::new(3) {
        Ok(lan) => lan,
        Err(reason) => {
            println!(
                "SKIPPED net_lan_discovery_with_mdns_in_network_namespaces: cannot create network namespaces ({reason})"
            );
            return;
        }
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
