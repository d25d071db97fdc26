//! Network namespaces joined by veth pairs to a bridge: a real LAN for `partage run` processes,
//! with addresses assigned here, only inside these namespaces (never the host's). Needs root
//! and `ip`; tests skip, saying why, where namespaces cannot be created.

use std::process::Command;

/// The namespaces of one LAN, deleted on drop (which also deletes their links).
pub struct Lan {
    /// The namespace holding the bridge `br0` (where a capture sees every packet).
    pub hub: String,
    /// One namespace per node, its `eth0` at 10.{subnet}.0.{i} (i from 1).
    pub nodes: Vec<String>,
}

pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`ip {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl Lan {
    /// `n` nodes on 10.{subnet}.0.0/24; `name` keeps the namespaces of two LANs of one test apart.
    pub fn new(name: &str, subnet: u8, n: usize) -> Result<Lan, String> {
        let tag = std::process::id() % 100_000;
        let hub = format!("ptg{tag}{name}hub");
        ip(&["netns", "add", &hub])?;
        let mut lan = Lan { hub: hub.clone(), nodes: Vec::new() };
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &hub, "link", "set", "br0", "up"])?;
        for i in 1..=n {
            let ns = format!("ptg{tag}{name}n{i}");
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
            ip(&["-n", &ns, "addr", "add", &format!("10.{subnet}.0.{i}/24"), "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", "eth0"])?;
        }
        Ok(lan)
    }
}

impl Lan {
    /// [`Lan::new`] for the test `test`, or `None` after printing why it skips.
    pub fn or_skip(test: &str, name: &str, subnet: u8, n: usize) -> Option<Lan> {
        match Lan::new(name, subnet, n) {
            Ok(lan) => Some(lan),
            Err(reason) => {
                println!("SKIPPED {test}: cannot create network namespaces ({reason})");
                None
            }
        }
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in self.nodes.iter().chain([&self.hub]) {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}
