//! A small internet in network namespaces: a "public" bridge with the home node on it, and home
//! LANs each behind a router that masquerades (NAT) onto the public side. Addresses are assigned
//! here, inside these namespaces only (never the host's). Nodes run in-process, each on a thread
//! that entered its namespace (`setns`) before creating any socket. Needs root, `ip` and
//! `iptables`; tests skip, saying why, where that is missing.

// Test support: a failed setup step should stop the caller loudly.
#![allow(clippy::expect_used)]

use partage::Node;
use partage_net::{NetConfig, Network};
use std::os::fd::AsRawFd;
use std::process::Command;
use tokio::sync::oneshot;

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out =
        Command::new(program).args(args).output().map_err(|e| format!("cannot run `{program}`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    run("ip", args)
}

/// The namespaces, deleted on drop.
pub struct Internet {
    tag: String,
    names: Vec<String>,
}

/// The public side: 10.90.0.0/24. The home node is 10.90.0.1.
pub const HOME_NODE_IP: &str = "10.90.0.1";

impl Internet {
    pub fn new() -> Result<Internet, String> {
        let tag = format!("ptn{}", std::process::id() % 100_000);
        let mut net = Internet { tag, names: Vec::new() };
        let public = net.add("pub")?;
        ip(&["-n", &public, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &public, "link", "set", "br0", "up"])?;
        net.host_on_public("home", HOME_NODE_IP)?;
        Ok(net)
    }

    /// The namespace called `name` here.
    pub fn ns(&self, name: &str) -> String {
        format!("{}{name}", self.tag)
    }

    fn add(&mut self, name: &str) -> Result<String, String> {
        let ns = self.ns(name);
        ip(&["netns", "add", &ns])?;
        self.names.push(ns.clone());
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// A namespace `name` plugged into the public bridge with `addr`.
    pub fn host_on_public(&mut self, name: &str, addr: &str) -> Result<String, String> {
        let ns = self.add(name)?;
        let public = self.ns("pub");
        let port = format!("to{name}");
        ip(&[
            "link", "add", "name", "eth0", "netns", &ns, "type", "veth", "peer", "name", &port, "netns",
            &public,
        ])?;
        ip(&["-n", &public, "link", "set", &port, "master", "br0"])?;
        ip(&["-n", &public, "link", "set", &port, "up"])?;
        ip(&["-n", &ns, "addr", "add", &format!("{addr}/24"), "dev", "eth0"])?;
        ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        Ok(ns)
    }

    /// A home LAN 10.{subnet}.0.0/24 behind a NAT router (public address `router_addr`), with one
    /// device at 10.{subnet}.0.2. A `symmetric` router picks a random public port per
    /// connection (no hole punching gets through it). Returns the device's namespace.
    pub fn home_behind_nat(
        &mut self,
        name: &str,
        subnet: u8,
        router_addr: &str,
        symmetric: bool,
    ) -> Result<String, String> {
        let router = self.host_on_public(&format!("{name}r"), router_addr)?;
        let device = self.add(name)?;
        ip(&[
            "link", "add", "name", "eth0", "netns", &device, "type", "veth", "peer", "name", "lan0", "netns",
            &router,
        ])?;
        ip(&["-n", &router, "addr", "add", &format!("10.{subnet}.0.1/24"), "dev", "lan0"])?;
        ip(&["-n", &router, "link", "set", "lan0", "up"])?;
        ip(&["-n", &device, "addr", "add", &format!("10.{subnet}.0.2/24"), "dev", "eth0"])?;
        ip(&["-n", &device, "link", "set", "eth0", "up"])?;
        ip(&["-n", &device, "route", "add", "default", "via", &format!("10.{subnet}.0.1")])?;
        run("ip", &["netns", "exec", &router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])?;
        let iptables = |rule: &[&str]| {
            let mut args = vec!["netns", "exec", router.as_str(), "iptables"];
            args.extend_from_slice(rule);
            run("ip", &args)
        };
        let mut masquerade = vec!["-t", "nat", "-A", "POSTROUTING", "-o", "eth0", "-j", "MASQUERADE"];
        if symmetric {
            masquerade.push("--random-fully");
        }
        iptables(&masquerade)?;
        // Like a home router: nothing unsolicited comes in from outside, to the router or the LAN
        // (so a stray packet creates no connection-tracking entry that would block a later one).
        for chain in ["INPUT", "FORWARD"] {
            iptables(&[
                "-A",
                chain,
                "-i",
                "eth0",
                "-m",
                "conntrack",
                "--ctstate",
                "NEW,INVALID",
                "-j",
                "DROP",
            ])?;
        }
        Ok(device)
    }

    /// [`Internet::new`], or `None` after printing why `test` skips.
    pub fn or_skip(test: &str) -> Option<Internet> {
        if let Err(e) = run("iptables", &["--version"]) {
            println!("SKIPPED {test}: no iptables ({e})");
            return None;
        }
        match Internet::new() {
            Ok(net) => Some(net),
            Err(reason) => {
                println!("SKIPPED {test}: cannot create network namespaces ({reason})");
                None
            }
        }
    }
}

impl Drop for Internet {
    fn drop(&mut self) {
        for ns in self.names.iter().rev() {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// Runs `f` on a new thread inside namespace `ns` (every socket it opens, and every thread it
/// starts, is in that namespace).
pub fn in_namespace<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<Result<T, String>> {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        // SAFETY: setns on this thread only, with a valid namespace file descriptor.
        if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns {path}: {}", std::io::Error::last_os_error()));
        }
        Ok(f())
    })
}

/// A node's network running in a namespace, on its own runtime there.
pub struct NodeIn {
    pub net: Network,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl NodeIn {
    pub fn start(ns: &str, node: Node, config: NetConfig) -> NodeIn {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = in_namespace(ns, move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let net = Network::start(node, config).await.expect("start the network");
                let _ = started_tx.send(net.clone());
                let _ = stopped.await;
                net.stop().await.expect("stop");
            });
        });
        let net = started_rx.recv().expect("the network started in its namespace");
        NodeIn { net, stop: Some(stop), thread: Some(thread) }
    }

    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for NodeIn {
    fn drop(&mut self) {
        self.finish();
    }
}
