//! kill -9 while photos are being stored: a child process adds photos (each one redb
//! transaction holding the item change and both blobs, the same store path a fetched blob takes)
//! in a loop and is killed with SIGKILL at varying moments. After each kill the store file is
//! read directly: every blob it holds is whole (its bytes hash to its key, its recorded length
//! matches) and every photo an item shows has both blobs. What this shows is the store's
//! all-or-nothing commit under a real kill; a kill during a network transfer (whose blob lives
//! only in the fetching task's memory until that same kind of commit) is `photo_fetch_crash.rs`.

use partage::photo::BlobHash;
use partage::{ItemFilter, Node};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_DIR: &str = "PARTAGE_PHOTO_CRASH_DIR";

/// A noisy image (photos do not compress much) of about 1 MB as JPEG.
fn noise(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let img = image::RgbImage::from_fn(900, 700, |_, _| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let b = x.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    partage_tests::photos::jpeg(&img)
}

/// The child: adds photos until killed.
#[test]
#[ignore = "run by photo_crash_leaves_no_half_blob as a child process"]
fn photo_crash_child_adds_photos_until_killed() {
    let Ok(dir) = std::env::var(CHILD_DIR) else { return };
    let node = Node::open(&dir).unwrap();
    let ns = node.neighbourhood_ids().unwrap()[0];
    let mut seed = std::process::id() as u64 * 1_000;
    loop {
        let item = node.add_item(&ns, partage_tests::draft("Carton")).unwrap().item.id;
        for _ in 0..3 {
            seed += 1;
            node.add_photo(&item, &noise(seed)).unwrap();
            println!("added");
        }
    }
}

/// Every blob in the store file hashes to its key and has its recorded length.
fn check_file(dir: &Path) -> usize {
    let db = redb::Database::create(dir.join(partage::node::STORE_FILE)).unwrap();
    let txn = db.begin_read().unwrap();
    let blobs: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("photo_blobs");
    let meta: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("photo_blob_meta");
    let Ok(blobs) = txn.open_table(blobs) else { return 0 };
    let meta = txn.open_table(meta).unwrap();
    let mut n = 0;
    for row in blobs.iter().unwrap() {
        let (k, v) = row.unwrap();
        assert_eq!(BlobHash::of(v.value()).0.as_slice(), k.value(), "a blob does not match its hash");
        let m = meta.get(k.value()).unwrap().expect("a blob without its length");
        assert_eq!(u64::from_be_bytes(m.value()[1..9].try_into().unwrap()), v.value().len() as u64);
        n += 1;
    }
    assert_eq!(meta.len().unwrap(), n as u64, "lengths without blobs");
    n
}

#[test]
fn photo_crash_leaves_no_half_blob() {
    let dir = tempfile::tempdir().unwrap();
    {
        let node = Node::open(dir.path()).unwrap();
        node.init("Alice").unwrap();
        node.create_neighbourhood("Rue").unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut seen = 0;
    for round in 0..6u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "photo_crash_child_adds_photos_until_killed", "--ignored", "--nocapture"])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for a first photo, then kill at a varying moment (not a measurement: any moment
        // must do).
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while line.trim() != "added" {
            line.clear();
            assert_ne!(std::io::BufRead::read_line(&mut out, &mut line).unwrap(), 0, "the child stopped");
        }
        std::thread::sleep(Duration::from_millis(37 * round + 5));
        child.kill().unwrap(); // SIGKILL on unix
        child.wait().unwrap();
        drop(out);

        seen = check_file(dir.path());
        let node = Node::open(dir.path()).unwrap();
        for item in node.list_items(&ItemFilter::default()).unwrap() {
            for r in node.photos_of(&item.item.id).unwrap() {
                assert!(node.original_here(&r).unwrap().is_some(), "an item shows a missing original");
                assert!(node.thumbnail(&r).unwrap().is_some(), "an item shows a missing thumbnail");
            }
        }
    }
    assert!(seen >= 2, "photos were stored between the kills");
}
