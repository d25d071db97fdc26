//! Photo figures: adding a camera-sized photo; a full sync of N items with one photo each, until
//! every thumbnail is on the fresh member, against the same sync without photos; and fetching
//! originals from a member over libp2p on 127.0.0.1, each verified against its BLAKE3 hash.

use crate::net::{self, FullSync};
use crate::stats::{Res, Spread, ms, ratio};
use partage::{ItemFilter, Node};
use partage_tests::TestNode;
use partage_tests::photos::photo_like;
use partage_workload::{SEED, XorShift, draft};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A 12-megapixel camera photo.
const CAMERA: (u32, u32) = (4000, 3000);
/// The inputs of the sync figure: phone photos already small (their thumbnails are what moves).
const SYNC_INPUT: (u32, u32) = (800, 600);
/// Originals fetched for the throughput figure, and their input size.
const FETCHED: usize = 8;
const FETCH_INPUT: (u32, u32) = (2048, 1536);

pub struct Photos {
    items: usize,
    camera_input_bytes: usize,
    add_ms: Spread,
    original_bytes: usize,
    thumbnail_bytes: usize,
    with_photos: SyncFigure,
    without: FullSync,
    fetch_bytes: u64,
    /// The FETCHED originals' time, per run (ms).
    fetch_ms: Spread,
}

struct SyncFigure {
    time_ms: Spread,
    doc_bytes: u64,
    thumbnail_bytes: u64,
}

pub async fn measure(items: usize, runs: usize) -> Res<Photos> {
    // Adding: one camera photo per run, each to its own item.
    let alice = TestNode::new("Alice");
    let ns = alice.node.create_neighbourhood("Quartier des Lilas")?.id;
    let camera: Vec<Vec<u8>> =
        (0..runs.max(1)).map(|k| photo_like(CAMERA.0, CAMERA.1, k as u64 + 1)).collect();
    let mut add = Vec::new();
    let (mut original_bytes, mut thumbnail_bytes) = (0, 0);
    for bytes in &camera {
        let item = alice.node.add_item(&ns, partage_tests::draft("Appareil photo"))?.item.id;
        let started = Instant::now();
        let r = alice.node.add_photo(&item, bytes)?;
        add.push(ms(started.elapsed()));
        original_bytes = alice.node.original_here(&r)?.map_or(0, |b| b.len());
        thumbnail_bytes = alice.node.thumbnail(&r)?.map_or(0, |b| b.len());
    }
    let camera_input_bytes = camera.first().map_or(0, Vec::len);

    // The same inventory with and without one photo per item.
    let plain = inventory(items, false)?;
    let (without, synced) = net::full_sync(&plain.node, &plain_ns(&plain.node)?, runs).await?;
    synced.stop().await?;
    let hub = inventory(items, true)?;
    let with_photos = sync_with_thumbnails(&hub.node, items, runs).await?;
    let (fetch_bytes, fetch_ms) = fetch_originals(&hub.node, runs).await?;
    Ok(Photos {
        items,
        camera_input_bytes,
        add_ms: Spread::of(&add),
        original_bytes,
        thumbnail_bytes,
        with_photos,
        without,
        fetch_bytes,
        fetch_ms,
    })
}

fn plain_ns(node: &Node) -> Res<partage::NeighbourhoodId> {
    Ok(*node.neighbourhood_ids()?.first().ok_or("no neighbourhood")?)
}

/// One member with `items` items (workload drafts), each with one photo if `photos`.
fn inventory(items: usize, photos: bool) -> Res<TestNode> {
    let hub = TestNode::new("Alice");
    let ns = hub.node.create_neighbourhood("Quartier des Lilas")?.id;
    let mut rng = XorShift(SEED);
    let added = hub.node.add_items(&ns, (0..items).map(|_| draft(&mut rng)).collect())?;
    if photos {
        for (k, view) in added.iter().enumerate() {
            hub.node.add_photo(&view.item.id, &photo_like(SYNC_INPUT.0, SYNC_INPUT.1, k as u64 + 100))?;
        }
    }
    Ok(hub)
}

/// From starting a fresh member's network to every item listed and every thumbnail stored.
async fn sync_with_thumbnails(hub: &Node, items: usize, runs: usize) -> Res<SyncFigure> {
    let ns = plain_ns(hub)?;
    let hub_net = net::start(hub, vec![]).await?;
    let addr = net::address(&hub_net).await?;
    let mut times = Vec::new();
    let (mut doc_bytes, mut thumbnail_bytes) = (0, 0);
    for run in 0..runs.max(1) {
        let fresh = net::fresh_member(hub, &ns, &format!("Nouveau {run}"))?;
        let started = Instant::now();
        let fresh_net = net::start(&fresh.node, vec![addr.clone()]).await?;
        let report = fresh_net.sync_now(net::SYNC_TIMEOUT).await?;
        loop {
            let listed = fresh.node.list_items(&ItemFilter::default())?.len();
            if listed == items && fresh.node.missing_thumbnails(&ns, 1)?.is_empty() {
                break;
            }
            if started.elapsed() > net::SYNC_TIMEOUT {
                return Err(format!("thumbnails did not all arrive ({listed} items)").into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(ms(started.elapsed()));
        doc_bytes = net::bytes(&report).0;
        thumbnail_bytes = 0;
        for view in fresh.node.list_items(&ItemFilter::default())? {
            for r in fresh.node.photos_of(&view.item.id)? {
                thumbnail_bytes += fresh.node.thumbnail(&r)?.map_or(0, |b| b.len() as u64);
            }
        }
        fresh_net.stop().await?;
    }
    hub_net.stop().await?;
    Ok(SyncFigure { time_ms: Spread::of(&times), doc_bytes, thumbnail_bytes })
}

/// Adds FETCHED large photos to `hub`; once per run, a fresh member syncs, waits until every
/// thumbnail is stored (so the figure is the originals' alone, not shared with the thumbnail
/// fetch that follows a sync), then fetches the originals one after another.
async fn fetch_originals(hub: &Node, runs: usize) -> Res<(u64, Spread)> {
    let ns = plain_ns(hub)?;
    let item = hub.add_item(&ns, partage_tests::draft("Grandes photos"))?.item.id;
    let mut refs = Vec::new();
    for k in 0..FETCHED {
        refs.push(hub.add_photo(&item, &photo_like(FETCH_INPUT.0, FETCH_INPUT.1, 1_000 + k as u64))?);
    }
    let hub_net = net::start(hub, vec![]).await?;
    let addr = net::address(&hub_net).await?;
    let (mut bytes, mut times) = (0u64, Vec::new());
    for run in 0..runs.max(1) {
        let fresh = net::fresh_member(hub, &ns, &format!("Lectrice {run}"))?;
        let fresh_net = net::start(&fresh.node, vec![addr.clone()]).await?;
        fresh_net.sync_now(net::SYNC_TIMEOUT).await?;
        let started = Instant::now();
        while !fresh.node.missing_thumbnails(&ns, 1)?.is_empty() {
            if started.elapsed() > net::SYNC_TIMEOUT {
                return Err("thumbnails did not all arrive before the originals were fetched".into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let (mut run_bytes, mut took) = (0u64, Duration::ZERO);
        for r in &refs {
            let started = Instant::now();
            let original = fresh_net.fetch_photo(r, None).await?;
            took += started.elapsed();
            run_bytes += original.len() as u64;
        }
        bytes = run_bytes;
        times.push(ms(took));
        fresh_net.stop().await?;
    }
    hub_net.stop().await?;
    Ok((bytes, Spread::of(&times)))
}

impl Photos {
    fn fetch_mb_s(&self) -> f64 {
        self.fetch_bytes as f64 / 1_000_000.0 / (self.fetch_ms.median / 1000.0).max(1e-9)
    }

    fn with_bytes(&self) -> u64 {
        self.with_photos.doc_bytes + self.with_photos.thumbnail_bytes
    }

    pub fn json(&self) -> Value {
        json!({
            "workload": format!(
                "add: a {}x{} photo-like JPEG ({} bytes) to an item, one per run; sync: one member with {} workload items, each with one photo ({}x{} input), to a fresh member until every thumbnail is stored, against the same items without photos; fetch: {} originals ({}x{} input) fetched one after another by a fresh member over 127.0.0.1 once its thumbnails are all in, one fresh member per run (median run)",
                CAMERA.0, CAMERA.1, self.camera_input_bytes, self.items, SYNC_INPUT.0, SYNC_INPUT.1, FETCHED, FETCH_INPUT.0, FETCH_INPUT.1
            ),
            "items": self.items,
            "add_photo_ms": self.add_ms.json(),
            "camera_original_bytes": self.original_bytes,
            "camera_thumbnail_bytes": self.thumbnail_bytes,
            "sync_with_thumbnails": {
                "time_ms": self.with_photos.time_ms.json(),
                "document_bytes": self.with_photos.doc_bytes,
                "thumbnail_bytes": self.with_photos.thumbnail_bytes,
            },
            "sync_without_photos": self.without.json(),
            "ratio_time": ratio(self.with_photos.time_ms.median, self.without.time_ms.median),
            "ratio_bytes": ratio(self.with_bytes() as f64, self.without.received as f64),
            "fetch_bytes": self.fetch_bytes,
            "fetch_ms": self.fetch_ms.median,
            "fetch_ms_runs": self.fetch_ms.json(),
            "fetch_mb_per_s": self.fetch_mb_s(),
        })
    }

    pub fn lines(&self) -> Vec<String> {
        vec![
            format!(
                "photos: add a {}x{} photo {} (original {} B, thumbnail {} B)",
                CAMERA.0,
                CAMERA.1,
                self.add_ms.show("ms"),
                self.original_bytes,
                self.thumbnail_bytes
            ),
            format!(
                "  full sync of {} items with a thumbnail each: {} ; {} B documents + {} B thumbnails ({:.2}x the time, {:.2}x the bytes without photos: {:.1} ms, {} B)",
                self.items,
                self.with_photos.time_ms.show("ms"),
                self.with_photos.doc_bytes,
                self.with_photos.thumbnail_bytes,
                ratio(self.with_photos.time_ms.median, self.without.time_ms.median),
                ratio(self.with_bytes() as f64, self.without.received as f64),
                self.without.time_ms.median,
                self.without.received
            ),
            format!(
                "  originals fetched: {} B in {} = {:.0} MB/s (median run; BLAKE3 verified)",
                self.fetch_bytes,
                self.fetch_ms.show("ms"),
                self.fetch_mb_s()
            ),
        ]
    }
}
