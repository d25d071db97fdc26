//! What a running `partage run` shows `partage status` (which cannot open the store while it
//! runs): a small file in the data directory, rewritten when something changes and removed at
//! stop. Owner-only, like everything there; it names transport ids and member ids the node
//! already holds.

use partage_net::Network;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const FILE: &str = "run-status.json";

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The running node's status, as `partage status --json` shows it under "online".
pub fn snapshot(net: &Network) -> Value {
    let peers: Vec<Value> = net
        .peers()
        .iter()
        .filter(|p| p.connected)
        .map(|p| {
            json!({
                "peer": p.peer_id.to_string(),
                "member": p.member.map(|m| m.to_hex()),
                "path": p.path().map(|path| path.as_str()),
                "home_node": p.home_node,
            })
        })
        .collect();
    // Read once: state and addresses from the same snapshot.
    let reachability = net.reachability();
    json!({
        "pid": std::process::id(),
        "peer_id": net.peer_id().to_string(),
        "listen": net.listen_addresses().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "port_mapping": net.port_mapping(),
        "reachability": {
            "state": reachability.as_str(),
            "addresses": reachability_addresses(&reachability),
        },
        "peers": peers,
    })
}

/// The addresses a reachability names, as text.
pub(crate) fn reachability_addresses(r: &partage_net::Reachability) -> Vec<String> {
    r.addresses().iter().map(ToString::to_string).collect()
}

/// Writes `status` through a temporary file (a reader never sees half of it).
pub fn write(dir: &Path, status: &Value) -> std::io::Result<()> {
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, status.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(tmp, path(dir))
}

pub fn remove(dir: &Path) {
    let _ = std::fs::remove_file(path(dir));
}

/// The status a `partage run` still running wrote, if there is one (a file left by a process
/// that is gone is ignored).
pub fn read_running(dir: &Path) -> Option<Value> {
    let status: Value = serde_json::from_slice(&std::fs::read(path(dir)).ok()?).ok()?;
    let pid = status.get("pid")?.as_u64()?;
    alive(pid).then_some(status)
}

#[cfg(target_os = "linux")]
fn alive(pid: u64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn alive(_pid: u64) -> bool {
    // Elsewhere the file's presence is taken as is (it is removed at a clean stop).
    true
}
