//! kill -9 during a network transfer of an original. A child process (this test binary, an
//! ignored test) opens Bob's store, starts his network and fetches one of Alice's originals
//! through a throttling TCP proxy on 127.0.0.1, printing every progress report. The parent kills
//! it with SIGKILL as soon as a report shows the transfer started and not finished, then checks,
//! from the reports the child wrote up to its death, that it never finished; reopens Bob's store
//! and finds no blob for the photo (the store file read directly: every blob whole), no byte of
//! the arriving original anywhere in Bob's data directory (no piece was persisted); and a fetch
//! again (no proxy) yields the exact, hash-verified original.

mod net_common;

use net_common::*;
use partage::Node;
use partage::photo::{BlobHash, PhotoRef};
use partage_net::{Multiaddr, NetConfig, Network};
use partage_tests::photos::jpeg;
use partage_tests::{TestNode, draft, neighbourhood, push};
use redb::{ReadableDatabase, ReadableTable};
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const CHILD_DIR: &str = "PARTAGE_FETCH_CRASH_DIR";
const CHILD_PEER: &str = "PARTAGE_FETCH_CRASH_PEER";
const CHILD_PHOTO: &str = "PARTAGE_FETCH_CRASH_PHOTO";

/// The child: Bob fetches the photo from the peer at `CHILD_PEER` (the proxy), printing each
/// progress report, until it has it (or is killed, which is the point).
#[test]
#[ignore = "run by photo_fetch_crash_leaves_no_half_blob as a child process"]
fn photo_fetch_crash_child_fetches_until_killed() {
    let (Ok(dir), Ok(peer), Ok(photo)) =
        (std::env::var(CHILD_DIR), std::env::var(CHILD_PEER), std::env::var(CHILD_PHOTO))
    else {
        return;
    };
    let photo: PhotoRef = photo.parse().unwrap();
    let peer: Multiaddr = peer.parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let node = Node::open(&dir).unwrap();
        // Listening nowhere: Alice cannot dial Bob around the proxy.
        let config =
            NetConfig { listen: vec![], redial_interval: Duration::from_secs(1), ..NetConfig::loopback() };
        let net = Network::start(node.clone(), config).await.unwrap();
        net.dial(peer).await.unwrap();
        let (tx, mut rx) = mpsc::channel::<partage_net::blob::FetchProgress>(1024);
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                println!("progress {} {}", p.received, p.total);
            }
        });
        // Not for ever should the parent be gone without killing it.
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            match net.fetch_photo(&photo, Some(tx.clone())).await {
                Ok(bytes) => {
                    println!("fetched {}", bytes.len());
                    break;
                }
                // The session is still starting: no member to ask yet.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
}

/// Forwards TCP connections from a local port to `to`; what comes back from `to` is let through
/// at about 1.6 MB/s (8 KiB every 5 ms), so an original of a few MB takes seconds.
async fn throttling_proxy(to: std::net::SocketAddr) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let Ok(outbound) = TcpStream::connect(to).await else { continue };
            let (mut in_r, mut in_w) = inbound.into_split();
            let (mut out_r, mut out_w) = outbound.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut in_r, &mut out_w).await;
                let _ = out_w.shutdown().await;
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8 * 1024];
                loop {
                    let n = match out_r.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if in_w.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let _ = in_w.shutdown().await;
            });
        }
    });
    port
}

/// An image of noise (JPEG does not shrink it): an original of a few MB.
fn noisy_photo() -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let img = image::RgbImage::from_fn(1800, 1350, |_, _| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let b = x.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    jpeg(&img)
}

/// Every blob in the store file hashes to its key; returns the keys.
fn blobs_in_file(dir: &Path) -> Vec<BlobHash> {
    let db = redb::Database::create(dir.join(partage::node::STORE_FILE)).unwrap();
    let txn = db.begin_read().unwrap();
    let table: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("photo_blobs");
    let Ok(blobs) = txn.open_table(table) else { return Vec::new() };
    let mut out = Vec::new();
    for row in blobs.iter().unwrap() {
        let (k, v) = row.unwrap();
        let hash = BlobHash::of(v.value());
        assert_eq!(hash.0.as_slice(), k.value(), "a blob does not match its hash");
        out.push(hash);
    }
    out
}

/// Whether any file under `dir` contains `needle`.
fn any_file_contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let path = e.unwrap().path();
        if path.is_dir() {
            any_file_contains(&path, needle)
        } else {
            std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_fetch_crash_leaves_no_half_blob() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let item = nodes[0].node.add_item(&ns, draft("Tente")).unwrap().item.id;
    let r = nodes[0].node.add_photo(&item, &noisy_photo()).unwrap();
    let original = nodes[0].node.original_here(&r).unwrap().unwrap();
    assert!(original.len() > 4 * partage_net::blob::CHUNK_BYTES, "{} bytes", original.len());
    // Bob has the item (and its thumbnail) already; only the original is to come.
    push(&nodes[0].node, &nodes[1].node, &ns);
    let thumbnail = nodes[0].node.thumbnail(&r).unwrap().unwrap();
    nodes[1].node.store_received_blobs(&ns, &[(r.thumbnail, thumbnail)]).unwrap();
    let TestNode { node: bob, dir: bob_dir } = nodes.remove(1);
    drop(bob); // the child opens the store

    let na = start(&nodes[0]).await;
    let alice_addr = addr(&na).await;
    let alice_tcp = alice_addr
        .iter()
        .find_map(|p| match p {
            libp2p::multiaddr::Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .unwrap();
    let proxy = throttling_proxy(([127, 0, 0, 1], alice_tcp).into()).await;
    let via_proxy = format!("/ip4/127.0.0.1/tcp/{proxy}/p2p/{}", na.peer_id());

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "photo_fetch_crash_child_fetches_until_killed", "--ignored", "--nocapture"])
        .env(CHILD_DIR, bob_dir.path())
        .env(CHILD_PEER, &via_proxy)
        .env(CHILD_PHOTO, r.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Reads the child's reports on a thread; kills it at the first one mid-transfer.
    let (first_tx, first_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(p) = line.strip_prefix("progress ") {
                let (got, total) = p.split_once(' ').unwrap();
                let (got, total): (u64, u64) = (got.parse().unwrap(), total.parse().unwrap());
                if got > 0 && got < total {
                    let _ = first_tx.send((got, total));
                }
            }
            lines.push(line);
        }
        lines
    });
    let (got, total) = tokio::task::spawn_blocking(move || first_rx.recv_timeout(WAIT))
        .await
        .unwrap()
        .expect("the child reported a transfer under way");
    child.kill().unwrap(); // SIGKILL on unix
    child.wait().unwrap();
    let lines = reader.join().unwrap();
    assert_eq!(total, original.len() as u64);
    // What the child reported up to its death: started, never finished.
    assert!(!lines.iter().any(|l| l.starts_with("fetched")), "the fetch finished before the kill: {lines:?}");
    let last: u64 = lines
        .iter()
        .filter_map(|l| l.strip_prefix("progress ")?.split_once(' ')?.0.parse().ok())
        .max()
        .unwrap();
    assert!(last >= got && last < total, "killed at {last} of {total} bytes");
    eprintln!("killed after {last} of {total} bytes had arrived");

    // Nothing of the half transfer is anywhere: no blob for it in the store file (and every
    // blob there whole), not a byte of what had arrived in any file of Bob's data directory.
    let stored = blobs_in_file(bob_dir.path());
    assert!(!stored.contains(&r.original), "a blob for the half-fetched original");
    assert!(stored.contains(&r.thumbnail));
    let arrived = &original[(last as usize / 2)..(last as usize / 2 + 4096)];
    assert!(!any_file_contains(bob_dir.path(), arrived), "a piece of the transfer was persisted");

    // Reopened, Bob shows the photo as not here, and fetches it again whole.
    let bob = Node::open(bob_dir.path()).unwrap();
    assert_eq!(bob.original_here(&r).unwrap(), None);
    assert!(!bob.has_blob(&r.original).unwrap());
    let nb = start_node(&bob).await;
    connect(&nb, &na).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let again = loop {
        match nb.fetch_photo(&r, None).await {
            Ok(bytes) => break bytes,
            // The session is still starting: no member to ask yet.
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("fetching again failed: {e}"),
        }
    };
    assert_eq!(BlobHash::of(&again), r.original);
    assert_eq!(again, original);
    assert_eq!(bob.original_here(&r).unwrap(), Some(original));
    for n in [na, nb] {
        n.stop().await.unwrap();
    }
}
