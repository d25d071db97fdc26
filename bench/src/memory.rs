//! One node's own memory, measured in a child process (this binary re-executed with a hidden
//! subcommand) so that it is the node's and not the harness's, which holds dozens of nodes.
//!
//! - `open`: the node opens a store holding the workload (all documents, items and loans),
//!   reads it (list, search), writes once (loads its member document), starts its network.
//! - `join`: a fresh member joins by ticket and syncs everything from a serving node in the
//!   parent over 127.0.0.1.
//!
//! Each step reports resident memory (`VmRSS`) and heap in use (glibc `mallinfo2`: arena bytes
//! in use plus mmapped chunks) as deltas from the child's baseline (runtime started, nothing
//! opened), and the child's peak (`VmHWM`) over the same baseline.

use crate::net::{SYNC_TIMEOUT, address, start};
use crate::stats::{Res, peak_rss_kib, rss_kib};
use partage::{ItemFilter, ItemPatch, NeighbourhoodId, Node};
use partage_net::Multiaddr;
use partage_tests::TestNode;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The hidden subcommand.
pub const SUBCOMMAND: &str = "__node-memory";

/// Bytes of heap in use (glibc only).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn heap_bytes() -> Option<u64> {
    // SAFETY: mallinfo2 only reads the allocator's statistics; it takes no arguments.
    let info = unsafe { libc::mallinfo2() };
    Some((info.uordblks + info.hblkhd) as u64)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn heap_bytes() -> Option<u64> {
    None
}

fn sample(step: &str) -> Value {
    json!({ "step": step, "rss_kib": rss_kib(), "heap_bytes": heap_bytes() })
}

/// The child: `__node-memory open DIR` or `__node-memory join TICKET ADDRESS`; prints one JSON
/// object on stdout.
pub fn child(args: &[String]) -> Res<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut steps = vec![sample("baseline")];
    let items = match args {
        [mode, dir] if mode == "open" => runtime.block_on(open(Path::new(dir), &mut steps))?,
        [mode, ticket, addr] if mode == "join" => {
            runtime.block_on(join(ticket, addr.parse()?, &mut steps))?
        }
        _ => return Err(format!("usage: {SUBCOMMAND} open DIR | join TICKET ADDRESS").into()),
    };
    println!("{}", json!({ "items": items, "steps": steps, "peak_rss_kib": peak_rss_kib() }));
    Ok(())
}

async fn open(dir: &Path, steps: &mut Vec<Value>) -> Res<usize> {
    let node = Node::open(dir)?;
    steps.push(sample("Node::open"));
    let items = node.list_items(&ItemFilter::default())?.len();
    std::hint::black_box(node.search("e", &ItemFilter::default())?.len());
    steps.push(sample("list_items + search"));
    let own = crate::reopen::own_item(&node)?;
    node.edit_item(&own, &ItemPatch { title: Some("Perceuse (mémoire)".into()), ..ItemPatch::default() })?;
    steps.push(sample("one edit_item (member document loaded)"));
    let net = start(&node, vec![]).await?;
    address(&net).await?;
    steps.push(sample("network started (127.0.0.1)"));
    net.stop().await?;
    Ok(items)
}

async fn join(ticket: &str, addr: Multiaddr, steps: &mut Vec<Value>) -> Res<usize> {
    let dir = tempfile::tempdir()?;
    let node = Node::open(dir.path())?;
    node.init("Mémoire")?;
    node.join(ticket)?;
    steps.push(sample("Node::open + init + join"));
    let net = start(&node, vec![addr]).await?;
    net.sync_now(SYNC_TIMEOUT).await?;
    let items = node.list_items(&ItemFilter::default())?.len();
    steps.push(sample("full sync over 127.0.0.1"));
    net.stop().await?;
    Ok(items)
}

/// Runs the child to the end (blocking); errors as text, to cross threads.
fn run_child(args: &[&str]) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe).arg(SUBCOMMAND).args(args).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("the memory child failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(with_deltas(serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?))
}

/// Adds each step's growth over the baseline, and the peak's.
fn with_deltas(mut v: Value) -> Value {
    let base = |key: &str| v.pointer(&format!("/steps/0/{key}")).and_then(Value::as_u64).unwrap_or(0);
    let (rss0, heap0) = (base("rss_kib"), base("heap_bytes"));
    if let Some(peak) = v.get("peak_rss_kib").and_then(Value::as_u64)
        && let Some(o) = v.as_object_mut()
    {
        o.insert("peak_rss_over_baseline_kib".into(), json!(peak.saturating_sub(rss0)));
    }
    if let Some(steps) = v.get_mut("steps").and_then(Value::as_array_mut) {
        for s in steps {
            let rss = s.get("rss_kib").and_then(Value::as_u64).unwrap_or(0);
            let heap = s.get("heap_bytes").and_then(Value::as_u64).unwrap_or(0);
            if let Some(o) = s.as_object_mut() {
                o.insert("rss_delta_kib".into(), json!(rss.saturating_sub(rss0)));
                o.insert("heap_delta_bytes".into(), json!(heap.saturating_sub(heap0)));
            }
        }
    }
    v
}

/// Waits until no one in this process holds the store at `dir` (a stopped network's tasks may
/// still hold a clone of the node for a moment after `Network::stop` returns); how long that took.
async fn released(dir: &Path) -> Res<Duration> {
    let started = Instant::now();
    loop {
        match Node::open(dir) {
            Ok(node) => {
                drop(node);
                return Ok(started.elapsed());
            }
            Err(e) if started.elapsed() > Duration::from_secs(30) => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Both children against `hub`'s store: `open` while the hub is closed, then `join` while it
/// serves. Returns the hub reopened.
pub async fn measure(hub: TestNode, ns: &NeighbourhoodId) -> Res<(Value, TestNode)> {
    let TestNode { node, dir } = hub;
    drop(node);
    let waited = released(dir.path()).await?;
    let dir_arg = dir.path().to_str().ok_or("the store path is not UTF-8")?.to_owned();
    let opened = tokio::task::spawn_blocking(move || run_child(&["open", &dir_arg])).await??;
    let hub = TestNode { node: Node::open(dir.path())?, dir };
    let net = start(&hub.node, vec![]).await?;
    let addr = address(&net).await?.to_string();
    let ticket = hub.node.invite(ns, 1, 1, vec![])?;
    let joined = tokio::task::spawn_blocking(move || run_child(&["join", &ticket, &addr])).await??;
    net.stop().await?;
    let waited_ms = crate::stats::ms(waited);
    Ok((json!({ "open": opened, "join": joined, "store_released_after_ms": waited_ms }), hub))
}

/// One line per mode: the last step's growth and the peak.
pub fn lines(v: &Value) -> Vec<String> {
    ["open", "join"]
        .iter()
        .map(|mode| {
            let m = v.get(*mode);
            let last = m.and_then(|m| m.get("steps")).and_then(Value::as_array).and_then(|s| s.last());
            let get = |o: Option<&Value>, k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_u64).unwrap_or(0);
            format!(
                "node memory ({mode:<4})    {} items: RSS +{:.1} MiB, heap +{:.1} MiB after \"{}\"; peak RSS +{:.1} MiB",
                get(m, "items"),
                get(last, "rss_delta_kib") as f64 / 1024.0,
                get(last, "heap_delta_bytes") as f64 / 1048576.0,
                last.and_then(|l| l.get("step")).and_then(Value::as_str).unwrap_or("?"),
                get(m, "peak_rss_over_baseline_kib") as f64 / 1024.0
            )
        })
        .collect()
}
