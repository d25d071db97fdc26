//! Sync benchmark over real libp2p on loopback TCP, bytes counted on the wire.
//!
//! ```text
//! cargo bench -p partage-net --bench sync -- [--items N] [--runs R] [--edits E]
//! ```
//! 1. Full sync: one member holds N items (the shared benchmark workload), a fresh member who
//!    joined by ticket syncs everything: time, bytes each way on the wire (a counting TCP relay
//!    between the two sees everything: Noise, Yamux, multistream, identify, ping) and as the
//!    sync protocol counted them.
//! 2. One edit: E single edits while connected, time until the other node's event, p50/p99;
//!    wire bytes per edit.
//! 3. Idle reconnect: the synced member restarts its network and syncs again with nothing new.

// Benchmark code: a failed step should stop the run loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

#[path = "../../core/benches/common/workload.rs"]
mod workload;

use partage::{Event, ItemFilter, ItemPatch, Node};
use partage_net::{Multiaddr, NetConfig, Network};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

const TIMEOUT: Duration = Duration::from_secs(600);

struct Args {
    items: usize,
    runs: usize,
    edits: usize,
}

fn args() -> Args {
    let mut a = Args { items: 10_000, runs: 3, edits: 200 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut n =
            || it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{arg} needs a number"));
        match arg.as_str() {
            "--items" => a.items = n(),
            "--runs" => a.runs = n(),
            "--edits" => a.edits = n(),
            _ => {} // `cargo bench` passes --bench
        }
    }
    a
}

/// A TCP relay on 127.0.0.1 that counts the bytes of every connection through it.
#[derive(Clone, Default)]
struct Counter {
    to_target: Arc<AtomicU64>,
    from_target: Arc<AtomicU64>,
}

impl Counter {
    fn read(&self) -> (u64, u64) {
        (self.to_target.load(Ordering::SeqCst), self.from_target.load(Ordering::SeqCst))
    }
}

async fn relay(target: std::net::SocketAddr) -> (std::net::SocketAddr, Counter) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
    let addr = listener.local_addr().expect("relay address");
    let counter = Counter::default();
    let c = counter.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let c = c.clone();
            tokio::spawn(async move {
                let Ok(outbound) = TcpStream::connect(target).await else { return };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (mut ri, mut wi) = inbound.into_split();
                let (mut ro, mut wo) = outbound.into_split();
                let up = copy(&mut ri, &mut wo, c.to_target.clone());
                let down = copy(&mut ro, &mut wi, c.from_target.clone());
                let _ = tokio::join!(up, down);
            });
        }
    });
    (addr, counter)
}

async fn copy(
    r: &mut tokio::net::tcp::OwnedReadHalf,
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    count: Arc<AtomicU64>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        count.fetch_add(n as u64, Ordering::SeqCst);
        if w.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}

fn socket_of(addr: &Multiaddr) -> std::net::SocketAddr {
    use libp2p::multiaddr::Protocol;
    let mut ip = None;
    let mut port = None;
    for p in addr.iter() {
        match p {
            Protocol::Ip4(a) => ip = Some(a),
            Protocol::Tcp(p) => port = Some(p),
            _ => {}
        }
    }
    std::net::SocketAddr::from((ip.expect("ip4"), port.expect("tcp")))
}

fn node(dir: &tempfile::TempDir, name: &str) -> Node {
    let n = Node::open(dir.path()).expect("open");
    n.init(name).expect("init");
    n
}

/// Only the given peers (the relay): remembered direct addresses would bypass the counter.
async fn start(n: &Node, peers: Vec<Multiaddr>) -> Network {
    let config = NetConfig { peers, dial_remembered: false, ..NetConfig::loopback() };
    Network::start(n.clone(), config).await.expect("start")
}

/// The same work without a network: how much of each figure is the core's.
fn floor(alice: &Node, ns: &partage::NeighbourhoodId, items: usize) {
    let me = alice.identity().expect("identity").expect("initialised").member;
    let dir = tempfile::tempdir().expect("temp dir");
    let bob = node(&dir, "Floor");
    bob.join(&alice.invite(ns, 1, 1, Vec::new()).expect("invite")).expect("join");
    let t = Instant::now();
    let bundle = alice.doc_bundle(ns, &me, &[]).expect("bundle");
    let built = t.elapsed();
    let t = Instant::now();
    bob.import_bundle(&bundle).expect("import");
    let imported = t.elapsed();
    assert_eq!(bob.list_items(&ItemFilter::default()).expect("list").len(), items);
    let heads =
        alice.doc_summaries(ns).expect("summaries").into_iter().find(|d| d.owner == me).expect("doc").heads;
    let own = alice.list_items(&ItemFilter::default()).expect("list")[1].item.id;
    let patch = ItemPatch { title: Some("Perceuse (plancher)".into()), ..ItemPatch::default() };
    let t = Instant::now();
    alice.edit_item(&own, &patch).expect("edit");
    let edited = t.elapsed();
    let t = Instant::now();
    let change = alice.doc_bundle(ns, &me, &heads).expect("bundle");
    let change_built = t.elapsed();
    let t = Instant::now();
    bob.import_bundle(&change).expect("import");
    let change_imported = t.elapsed();
    println!("\nThe same work in one process, no network (the core's share):");
    println!(
        "  full document: doc_bundle {:.0} ms, import_bundle {:.0} ms; one edit: edit_item {:.2} ms, doc_bundle {:.2} ms, import_bundle {:.2} ms",
        ms(built),
        ms(imported),
        ms(edited),
        ms(change_built),
        ms(change_imported)
    );
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let alice = node(&dir, "Alice");
    let ns = alice.create_neighbourhood("Rue des Lilas").expect("create").id;
    let t = Instant::now();
    let mut rng = workload::XorShift(workload::SEED);
    for _ in 0..a.items {
        alice.add_item(&ns, workload::draft(&mut rng)).expect("add");
    }
    println!("workload: {} items added in {:.1} s", a.items, t.elapsed().as_secs_f64());
    let na = start(&alice, Vec::new()).await;
    let alice_addr = na.advertise(Duration::from_secs(10)).await.expect("advertise").addrs[0].clone();
    let (relay_addr, counter) = relay(socket_of(&alice_addr)).await;
    let via_relay: Multiaddr = format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", relay_addr.port(), na.peer_id())
        .parse()
        .expect("relay multiaddr");

    println!("\nFull sync of {} items to a fresh member, {} run(s):", a.items, a.runs);
    let mut last = None;
    for run in 0..a.runs.max(1) {
        let bdir = tempfile::tempdir().expect("temp dir");
        let bob = node(&bdir, &format!("Bob {run}"));
        bob.join(&alice.invite(&ns, 1, 1, Vec::new()).expect("invite")).expect("join");
        let before = counter.read();
        let started = Instant::now();
        let nb = start(&bob, vec![via_relay.clone()]).await;
        let report = nb.sync_now(TIMEOUT).await.expect("sync");
        let elapsed = started.elapsed();
        let after = counter.read();
        let got = bob.list_items(&ItemFilter::default()).expect("list").len();
        assert_eq!(got, a.items, "the fresh member received every item");
        let o = report.peers[0].outcome.clone().expect("round finished");
        println!(
            "  run {run}: {:.0} ms (round {:.0} ms); wire: {} B to Alice, {} B from Alice; protocol: {} B received, {} B sent",
            ms(elapsed),
            ms(o.duration),
            after.0 - before.0,
            after.1 - before.1,
            o.bytes_received,
            o.bytes_sent
        );
        if let Some((old, _, _)) = last.replace((nb, bob, bdir)) {
            let old: Network = old;
            old.stop().await.expect("stop");
        }
    }
    let (nb, bob, bdir) = last.expect("one run");

    floor(&alice, &ns, a.items);

    // One edit at a time, Alice → Bob, while connected.
    let own = alice.list_items(&ItemFilter::default()).expect("list")[0].item.id;
    let mut events = bob.subscribe();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = counter.read();
    let mut latencies = Vec::with_capacity(a.edits);
    for k in 0..a.edits {
        let title = format!("Perceuse édition {k}");
        let patch = ItemPatch { title: Some(title.clone()), ..ItemPatch::default() };
        let started = Instant::now();
        alice.edit_item(&own, &patch).expect("edit");
        tokio::time::timeout(TIMEOUT, async {
            loop {
                match events.recv().await {
                    Some(Event::ItemUpdated(v)) if v.item.title == title => return,
                    Some(_) => {}
                    None => panic!("Bob's node went away"),
                }
            }
        })
        .await
        .expect("the edit arrived");
        latencies.push(ms(started.elapsed()));
    }
    // Let the last acknowledgement through before reading the counters.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = counter.read();
    latencies.sort_by(f64::total_cmp);
    println!("\nOne edit, Alice → Bob, {} edits:", a.edits);
    println!(
        "  latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; wire per edit: {:.0} B to Alice, {:.0} B from Alice",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0),
        (after.0 - before.0) as f64 / a.edits as f64,
        (after.1 - before.1) as f64 / a.edits as f64
    );

    // Idle reconnect: Bob restarts his network; nothing changed meanwhile.
    nb.stop().await.expect("stop");
    drop(nb);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = counter.read();
    let started = Instant::now();
    let nb = start(&bob, vec![via_relay.clone()]).await;
    let report = nb.sync_now(TIMEOUT).await.expect("sync");
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = counter.read();
    let o = report.peers[0].outcome.clone().expect("round finished");
    println!("\nIdle reconnect (connect, handshake, sync round with nothing new):");
    println!(
        "  {:.1} ms (round {:.2} ms); wire: {} B to Alice, {} B from Alice; protocol: {} B received, {} B sent, {} doc(s)",
        ms(elapsed),
        ms(o.duration),
        after.0 - before.0,
        after.1 - before.1,
        o.bytes_received,
        o.bytes_sent,
        o.docs_received + o.docs_sent
    );
    nb.stop().await.expect("stop");
    na.stop().await.expect("stop");
    drop(bdir);
}
