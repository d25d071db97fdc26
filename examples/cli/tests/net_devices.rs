//! `partage device link|accept|list|revoke` across two processes on 127.0.0.1.

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
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn net_a_second_device_links_by_code_and_can_be_revoked() {
    let root = tempfile::tempdir().unwrap();
    let [alice, _bob, _chloe] = three_neighbours(root.path());
    let tablet = root.path().join("tablet");
    let alice_me = json(&alice, &["whoami"]);

    let mut link = Command::new(BIN)
        .arg("--data-dir")
        .arg(&alice)
        .args(["--json", "device", "link", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn partage device link");
    let mut lines = BufReader::new(link.stdout.take().expect("stdout")).lines();
    let first: Value = serde_json::from_str(&lines.next().expect("a line").expect("read")).expect("JSON");
    let code = first["code"].as_str().expect("a code").to_string();
    assert!(code.starts_with("partagelink1"), "{first}");

    let linked = json(&tablet, &["device", "accept", &code]);
    assert_eq!(linked["name"], "Alice");
    assert_eq!(linked["member"], alice_me["member"]);
    let tablet_device = linked["device"].as_str().unwrap().to_string();

    let done: Value = serde_json::from_str(&lines.next().expect("a line").expect("read")).expect("JSON");
    assert_eq!(done["event"], "device_linked");
    assert_eq!(done["device"], tablet_device.as_str());
    assert!(link.wait().expect("wait").success());

    // Both devices list each other; the tablet has Alice's inventory.
    assert_eq!(titles(&tablet), titles(&alice));
    for dir in [&alice, &tablet] {
        let Value::Array(devices) = json(dir, &["device", "list"]) else { panic!("an array") };
        assert_eq!(devices.len(), 2);
    }
    // The tablet holds no member key: it cannot revoke, the phone can.
    let (revoked_here, _, err) =
        attempt(&tablet, &[], &["device", "revoke", &alice_me["device"].as_str().unwrap()[..8]]);
    assert!(!revoked_here && err.contains("holds no member key"), "{err}");
    ok(&alice, &["device", "revoke", &tablet_device[..8]]);
    let Value::Array(devices) = json(&alice, &["device", "list"]) else { panic!("an array") };
    assert!(devices.iter().any(|d| d["device"] == tablet_device.as_str() && d["revoked"] == true));
}
