//! Hard to track (ADR 0016): one device on two networks shows nothing that links the two visits.
//!
//! Two LANs in network namespaces (10.81.0.0/24 and 10.82.0.0/24, see `net_common::lan`); on each,
//! `tcpdump` captures everything through Alice's interface. Alice's `partage run` (mDNS on) meets Bob on the first
//! LAN, then Chloé on the second; both syncs complete. Then the two captures are searched for
//! every identifier of Alice's: her transport peer id on each network (raw and as text), her
//! device id and member id (raw, hex, and as a peer id), her name. Nothing may appear in both,
//! and her stable ids appear in neither. Her transport id on each LAN must appear in that LAN's
//! capture (the mDNS adverts carry it): the capture saw the traffic, the search is not vacuous.
//! Skips, saying why, only where namespaces cannot be created or `tcpdump` is missing.

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

mod net_common;

use net_common::lan::{self, Lan};
use net_common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `tcpdump` writing every packet through a node's `eth0` (inside its namespace: what anyone on
/// that LAN can see of it) to `file`, until finished.
struct Capture(Child);

impl Capture {
    fn start(node_ns: &str, file: &Path) -> Capture {
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                node_ns,
                "tcpdump",
                "-Z",
                "root",
                "--immediate-mode",
                "-i",
                "eth0",
                "-U",
                "-s",
                "0",
                "-w",
            ])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tcpdump");
        // It says "listening on eth0" once it captures: the nodes start after that.
        let mut line = String::new();
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        stderr.read_line(&mut line).expect("tcpdump's first line");
        assert!(line.contains("listening on"), "tcpdump did not start: {line}");
        // Keep reading (its closing statistics must not meet a closed pipe).
        std::thread::spawn(move || {
            for l in stderr.lines().map_while(Result::ok) {
                eprintln!("tcpdump: {l}");
            }
        });
        Capture(child)
    }

    fn finish(mut self) {
        // Give the last packets a moment, then stop it the way Ctrl-C does (it flushes).
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-INT", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tcpdump_missing() -> Option<String> {
    match Command::new("tcpdump").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("tcpdump --version failed: {}", String::from_utf8_lossy(&o.stderr))),
        Err(e) => Some(format!("no tcpdump: {e}")),
    }
}

/// Alice meets `other` on `lan`, both syncing, while the bridge is captured into `file`.
/// Returns Alice's peer id there (from her `listening` events).
fn visit(lan: &Lan, file: &Path, alice: &Path, other: &Path, items: [&str; 2]) -> String {
    let capture = Capture::start(&lan.nodes[0], file);
    let mut a = Running::start(&["ip", "netns", "exec", &lan.nodes[0]], alice, &[]);
    let mut o = Running::start(&["ip", "netns", "exec", &lan.nodes[1]], other, &[]);
    let addr = a.address();
    a.wait_for_item(items[1]);
    o.wait_for_item(items[0]);
    let here = addr.rsplit("/p2p/").next().unwrap().to_string();
    // The sync may finish on the other's advert alone, before Alice answers a query: keep both
    // running until her own advert is on the wire (the other queries again within seconds).
    wait_until_captured(file, here.as_bytes(), Duration::from_secs(60));
    a.stop();
    o.stop();
    capture.finish();
    here
}

/// Polls the capture file (written packet by packet) until it holds `needle`, or `limit` passes;
/// the caller's assertion on the finished capture says what was missing.
fn wait_until_captured(file: &Path, needle: &[u8], limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if std::fs::read(file).is_ok_and(|bytes| contains(&bytes, needle)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The byte strings that would name a peer id: its text form and its raw bytes.
fn peer_id_forms(id: &str) -> Vec<(String, Vec<u8>)> {
    let peer: partage_net::PeerId = id.parse().unwrap();
    vec![(format!("peer id {id}"), id.as_bytes().to_vec()), (format!("peer id {id} (raw)"), peer.to_bytes())]
}

#[test]
fn net_one_device_on_two_networks_shows_nothing_that_links_them() {
    if let Some(reason) = tcpdump_missing() {
        println!("SKIPPED net_one_device_on_two_networks_shows_nothing_that_links_them: {reason}");
        return;
    }
    let test = "net_one_device_on_two_networks_shows_nothing_that_links_them";
    let (Some(lan_a), Some(lan_b)) = (Lan::or_skip(test, "ca", 81, 2), Lan::or_skip(test, "cb", 82, 2))
    else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let [alice, bob, chloe] = three_neighbours(root.path());
    let me = json(&alice, &["status"]);
    let (device, member) = (me["device"].as_str().unwrap(), me["member"].as_str().unwrap());

    let (pcap_a, pcap_b) = (root.path().join("a.pcap"), root.path().join("b.pcap"));
    let here_a = visit(&lan_a, &pcap_a, &alice, &bob, ["Perceuse", "Raclette"]);
    let here_b = visit(&lan_b, &pcap_b, &alice, &chloe, ["Perceuse", "Tente"]);
    assert_ne!(here_a, here_b, "the same peer id on both networks");
    let (a, b) = (std::fs::read(&pcap_a).unwrap(), std::fs::read(&pcap_b).unwrap());

    // Each network's own transport id is in its capture (mDNS adverts), not in the other's.
    for (id, mine, other) in [(&here_a, &a, &b), (&here_b, &b, &a)] {
        assert!(
            contains(mine, id.as_bytes()),
            "the capture ({} bytes) missed the mDNS adverts of {id}",
            mine.len()
        );
        for (what, bytes) in peer_id_forms(id) {
            assert!(!contains(other, &bytes), "{what} from one network is in the other's capture");
        }
    }
    // Her stable identifiers are in neither.
    let device_id: partage::DeviceId = device.parse().unwrap();
    let member_id: partage::MemberId = member.parse().unwrap();
    let device_peer = partage_net::peer_id_of(&device_id).unwrap().to_string();
    let mut stable: Vec<(String, Vec<u8>)> = vec![
        ("device id".into(), device_id.0.to_vec()),
        ("device id (hex)".into(), device.as_bytes().to_vec()),
        ("member id".into(), member_id.0.to_vec()),
        ("member id (hex)".into(), member.as_bytes().to_vec()),
        ("name".into(), b"Alice".to_vec()),
        ("an item title".into(), b"Perceuse".to_vec()),
    ];
    stable.extend(peer_id_forms(&device_peer));
    for (what, bytes) in &stable {
        for (capture, name) in [(&a, "first"), (&b, "second")] {
            assert!(!contains(capture, bytes), "Alice's {what} is in the {name} network's capture");
        }
    }
    println!("captures: {} and {} bytes; Alice was {here_a} then {here_b}", a.len(), b.len());
}

/// The peer id in a `listening` event on `subnet` (e.g. "/ip4/10.84.0."), if it is one.
fn listening_on(v: &serde_json::Value, subnet: &str) -> Option<String> {
    let addr = v["addr"].as_str().filter(|a| v["event"] == "listening" && a.starts_with(subnet))?;
    addr.rsplit("/p2p/").next().map(str::to_string)
}

/// A device that moves to another network takes a new transport key there, without a restart
/// by the app, and goes on syncing: here both neighbours' LAN is renumbered under them (as when a
/// phone joins another Wi-Fi), and they find each other again, each with a new peer id.
#[test]
fn net_a_device_that_moves_gets_a_new_peer_id_and_syncs_on() {
    let Some(lan) = Lan::or_skip("net_a_device_that_moves_gets_a_new_peer_id_and_syncs_on", "mv", 83, 2)
    else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let [alice, bob, _] = three_neighbours(root.path());
    let mut a = Running::start(&["ip", "netns", "exec", &lan.nodes[0]], &alice, &[]);
    let mut b = Running::start(&["ip", "netns", "exec", &lan.nodes[1]], &bob, &[]);
    a.wait_for_item("Raclette");
    let old_id = |r: &mut Running, who: &str| {
        let v = r.wait_for(&format!("{who} listening"), |v| listening_on(v, "/ip4/10.83.0.").is_some());
        listening_on(&v, "/ip4/10.83.0.").unwrap()
    };
    let (before, bob_before) = (old_id(&mut a, "Alice"), old_id(&mut b, "Bob"));

    for (i, ns) in lan.nodes.iter().enumerate() {
        lan::ip(&["-n", ns, "addr", "flush", "dev", "eth0"]).unwrap();
        lan::ip(&["-n", ns, "addr", "add", &format!("10.84.0.{}/24", i + 1), "dev", "eth0"]).unwrap();
    }
    // (The old swarm may see the new address before it notices the move: only a new id counts.)
    let new_id = |r: &mut Running, who: &str, old: &str| {
        let v = r.wait_for(&format!("{who} on the new network with a new peer id"), |v| {
            listening_on(v, "/ip4/10.84.0.").is_some_and(|id| id != old)
        });
        listening_on(&v, "/ip4/10.84.0.").unwrap()
    };
    let after = new_id(&mut a, "Alice", &before);
    let bob_after = new_id(&mut b, "Bob", &bob_before);
    assert_ne!(after, before);
    // Alice verifies Bob again, under his new transport key, in a session on the new network.
    a.wait_for("Alice verifying Bob on the new network", |v| {
        v["event"] == "peer_verified" && v["peer"] == bob_after.as_str()
    });
    a.stop();
    b.stop();
    drop(lan);
}
