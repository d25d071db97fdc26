//! Photos over real libp2p on 127.0.0.1: thumbnails follow the documents, originals come on
//! demand from any member who has them, every byte is checked against the hash its signed item
//! names, and a stranger gets nothing.

mod net_common;

use futures::{AsyncReadExt, AsyncWriteExt};
use net_common::raw::RawPeer;
use net_common::*;
use partage::photo::{BlobHash, PhotoError};
use partage::{Error, Node};
use partage_net::NetError;
use partage_tests::photos::*;
use partage_tests::{TestNode, draft, neighbourhood, push};
use redb::ReadableTable;
use tokio::sync::mpsc;

fn photo_error(e: NetError) -> PhotoError {
    match e {
        NetError::Node(Error::Photo(p)) => p,
        other => panic!("expected a photo error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_gps_photo_arrives_upright_without_metadata_thumbnail_first() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    let (na, nb) = (start(&nodes[0]).await, start(&nodes[1]).await);
    connect(&nb, &na).await;
    let item = alice.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    let r = alice.add_photo(&item, &camera_jpeg(64, 32, 6)).unwrap();

    eventually("Bob has the thumbnail", || bob.thumbnail(&r).ok().flatten().is_some()).await;
    assert_eq!(bob.original_here(&r).unwrap(), None, "the original waits until asked for");
    let thumb = bob.thumbnail(&r).unwrap().unwrap();
    assert_eq!(BlobHash::of(&thumb), r.thumbnail);
    assert_no_metadata(&thumb);

    let (tx, mut progress) = mpsc::channel(64);
    let original = nb.fetch_photo(&r, Some(tx)).await.unwrap();
    assert_eq!(BlobHash::of(&original), r.original);
    assert_no_metadata(&original);
    let img = decode(&original);
    assert_eq!((img.width(), img.height()), (32, 64), "orientation 6 applied");
    assert!(near(img.get_pixel(16, 8).0, RED) && near(img.get_pixel(16, 56).0, BLUE));
    let last = std::iter::from_fn(|| progress.try_recv().ok()).last().expect("progress reported");
    assert_eq!((last.received, last.total), (original.len() as u64, original.len() as u64));
    assert_eq!(bob.original_here(&r).unwrap(), Some(original), "stored once fetched");
    for n in [na, nb] {
        n.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_an_original_comes_from_a_third_member_when_its_owner_is_offline() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    let item = alice.add_item(&ns, draft("Raclette")).unwrap().item.id;
    let r = alice.add_photo(&item, &camera_jpeg(300, 200, 1)).unwrap();
    let (na, nc) = (start(&nodes[0]).await, start(&nodes[2]).await);
    connect(&nc, &na).await;
    eventually("Chloé has the thumbnail", || chloe.thumbnail(&r).ok().flatten().is_some()).await;
    let original = nc.fetch_photo(&r, None).await.unwrap();
    na.stop().await.unwrap();

    let nb = start(&nodes[1]).await;
    connect(&nb, &nc).await;
    eventually("Bob has the item and its thumbnail", || bob.thumbnail(&r).ok().flatten().is_some()).await;
    assert_eq!(nb.fetch_photo(&r, None).await.unwrap(), original, "from Chloé, Alice being offline");
    for n in [nb, nc] {
        n.stop().await.unwrap();
    }
}

/// Flips one byte in the middle of a stored blob, in the closed store file of `t`.
fn damage_blob(t: TestNode, hash: BlobHash) -> TestNode {
    let TestNode { node, dir } = t;
    drop(node);
    let db = redb::Database::create(dir.path().join(partage::node::STORE_FILE)).unwrap();
    let table: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("photo_blobs");
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(table).unwrap();
        let mut bytes = t.get(hash.0.as_slice()).unwrap().unwrap().value().to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        t.insert(hash.0.as_slice(), bytes.as_slice()).unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    TestNode { node: Node::open(dir.path()).unwrap(), dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_corrupted_original_is_refused_and_fetched_again_from_another_member() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let item = nodes[0].node.add_item(&ns, draft("Tente")).unwrap().item.id;
    let r = nodes[0].node.add_photo(&item, &camera_jpeg(400, 300, 1)).unwrap();
    push(&nodes[0].node, &nodes[1].node, &ns);
    push(&nodes[0].node, &nodes[2].node, &ns);
    // Chloé holds the original (handed over offline), then her copy is damaged on disk.
    let original = nodes[0].node.original_here(&r).unwrap().unwrap();
    nodes[2].node.store_received_blobs(&ns, &[(r.original, original.clone())]).unwrap();
    let chloe = damage_blob(nodes.remove(2), r.original);

    let (nb, nc) = (start(&nodes[1]).await, start(&chloe).await);
    connect(&nb, &nc).await;
    let bob = &nodes[1].node;
    eventually("Bob and Chloé are in session", || nb.peers().iter().any(|p| p.connected)).await;
    // Only Chloé is there: what she sends does not match and is refused, nothing is stored.
    let refused = loop {
        match nb.fetch_photo(&r, None).await {
            Err(e) => match photo_error(e) {
                PhotoError::HashMismatch => break true,
                // The sessions are still starting: no member to ask yet.
                PhotoError::NotHere => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                other => panic!("unexpected {other:?}"),
            },
            Ok(_) => break false,
        }
    };
    assert!(refused, "a damaged blob must not be accepted");
    assert_eq!(bob.original_here(&r).unwrap(), None);

    // Alice comes online: fetched again, from her, whole and right.
    let na = start(&nodes[0]).await;
    connect(&nb, &na).await;
    let fetched = loop {
        match nb.fetch_photo(&r, None).await {
            Ok(bytes) => break bytes,
            Err(e) => {
                assert!(matches!(photo_error(e), PhotoError::HashMismatch | PhotoError::NotHere));
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    assert_eq!(fetched, original);
    assert_eq!(bob.original_here(&r).unwrap(), Some(original));
    for n in [na, nb, nc] {
        n.stop().await.unwrap();
    }
}

/// A request frame as `/partage/blob/1` expects it (postcard: version, neighbourhood, hashes,
/// offset), written by hand as a hostile peer would.
fn raw_request(ns: &[u8; 32], hash: &[u8; 32]) -> Vec<u8> {
    let body = [&[1u8][..], ns, &[1u8], hash, &[0u8]].concat();
    // The same bytes as the protocol's own request struct would give.
    #[derive(serde::Serialize)]
    struct Request {
        version: u32,
        neighbourhood: [u8; 32],
        hashes: Vec<[u8; 32]>,
        offset: u64,
    }
    let same = Request { version: 1, neighbourhood: *ns, hashes: vec![*hash], offset: 0 };
    assert_eq!(postcard::to_allocvec(&same).unwrap(), body);
    [&(body.len() as u32).to_be_bytes()[..], &body].concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_stranger_gets_no_blob() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0].node;
    let item = alice.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    let r = alice.add_photo(&item, &camera_jpeg(64, 32, 1)).unwrap();
    let na = start(&nodes[0]).await;
    let addr = addr(&na).await;

    // A stranger who knows the neighbourhood id and the hashes (say, from a stolen export)
    // opens the blob protocol and asks, with and without a sync session open.
    let mut stranger = RawPeer::new([77; 32]);
    let mut stream = stranger.open(addr.clone(), na.peer_id(), partage_net::blob::BLOB_PROTOCOL).await;
    let _ = stream.write_all(&raw_request(&ns.0, &r.original.0)).await;
    let _ = stream.flush().await;
    let mut got = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut got)).await.expect("the stream ends");
    assert!(got.is_empty(), "a stranger got {} bytes", got.len());

    // With a sync session open (which proves nothing): refused, or answered with nothing.
    let _session = stranger.session(addr.clone(), na.peer_id()).await;
    for hash in [r.original, r.thumbnail] {
        let Some(mut stream) =
            stranger.try_open(addr.clone(), na.peer_id(), partage_net::blob::BLOB_PROTOCOL).await
        else {
            continue;
        };
        let _ = stream.write_all(&raw_request(&ns.0, &hash.0)).await;
        let _ = stream.flush().await;
        let mut got = Vec::new();
        let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut got)).await.expect("the stream ends");
        assert!(got.is_empty(), "a stranger with a session got {} bytes", got.len());
    }

    // The same request from Bob, a member, is answered (the frames are right).
    let nb = start(&nodes[1]).await;
    connect(&nb, &na).await;
    let original = loop {
        match nb.fetch_photo(&r, None).await {
            Ok(bytes) => break bytes,
            Err(e) => {
                assert!(matches!(photo_error(e), PhotoError::NotHere | PhotoError::Unknown(_)));
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    assert_eq!(BlobHash::of(&original), r.original);
    for n in [na, nb] {
        n.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_a_cancelled_fetch_stores_nothing_and_a_later_one_succeeds() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    let item = alice.add_item(&ns, draft("Tente")).unwrap().item.id;
    // Noise does not compress: an original of several chunks.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noisy = image::RgbImage::from_fn(1600, 1200, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let v = state.to_le_bytes();
        image::Rgb([v[0], v[1], v[2]])
    });
    let r = alice.add_photo(&item, &jpeg(&noisy)).unwrap();
    let len = alice.original_here(&r).unwrap().unwrap().len();
    assert!(len > 2 * partage_net::blob::CHUNK_BYTES, "{len} bytes");
    let (na, nb) = (start(&nodes[0]).await, start(&nodes[1]).await);
    connect(&nb, &na).await;
    eventually("Bob has the thumbnail", || bob.thumbnail(&r).ok().flatten().is_some()).await;

    // Cancelled (the future dropped) once the first chunk is in: the progress branch is looked
    // at first, and the fetch yields after each chunk.
    let (tx, mut progress) = mpsc::channel(64);
    let fetch = nb.fetch_photo(&r, Some(tx));
    tokio::select! {
        biased;
        first = progress.recv() => {
            let first = first.expect("a progress report");
            assert!(first.received < first.total);
        }
        done = fetch => panic!("the fetch finished before it was cancelled: {:?}", done.map(|b| b.len())),
    }
    assert_eq!(bob.original_here(&r).unwrap(), None, "nothing kept from a cancelled transfer");
    let again = nb.fetch_photo(&r, None).await.unwrap();
    assert_eq!(BlobHash::of(&again), r.original);
    for n in [na, nb] {
        n.stop().await.unwrap();
    }
}
