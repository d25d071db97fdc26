//! Inventory benchmark: durable adds, reopening, search. Results go in `docs/BENCHMARKS.md`.
//!
//! Run with `cargo bench -p partage --bench inventory` (release profile). Options:
//! `--items N` (default 10000) and `--json` (one JSON object on stdout instead of a table).
//! Any other argument (cargo passes `--bench`) is ignored.
//!
//! The workload is deterministic: items come from a fixed-seed xorshift generator over a
//! French/English household vocabulary, so every run adds the same titles, descriptions,
//! categories, tags and conditions (only the random item ids and timestamps differ).

// Benchmark code: a failed step should stop the run loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

#[path = "common/workload.rs"]
mod workload;

use partage::{Category, Condition, ItemDraft, ItemFilter, Node};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};
use workload::{SEED, XorShift, draft};

const DEFAULT_ITEMS: usize = 10_000;
const REOPENS: usize = 5;
const SEARCH_REPEATS: usize = 200;
/// The adds are also reported in this many consecutive blocks.
const ADD_BLOCKS: usize = 10;

/// The queries timed against the full inventory, with what each one exercises.
const QUERIES: &[(&str, &str)] = &[
    ("echel", "accent-free prefix of Échelle"),
    ("perceuse", "whole word"),
    ("tente 4", "two words, one a number"),
    ("raclette", "whole word"),
    ("zzz", "no match"),
    ("tondeuse electrique", "two words, accent-free"),
    ("a", "worst case: one-letter prefix matching most items"),
];

/// The `q` quantile (0..=1) of sorted durations, nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Peak resident memory of this process (Linux), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One redb table of the store after the adds.
struct TableUse {
    name: String,
    entries: u64,
    stored_bytes: u64,
    pages: u64,
}

/// Entries, stored key+value bytes and pages per table, read with redb directly (read-only).
fn store_tables(path: &Path) -> Result<Vec<TableUse>, redb::Error> {
    use redb::{ReadableDatabase, ReadableTableMetadata, TableHandle};
    let db = redb::ReadOnlyDatabase::open(path)?;
    let txn = db.begin_read()?;
    let mut out = Vec::new();
    for handle in txn.list_tables()? {
        let name = handle.name().to_owned();
        let table = txn.open_untyped_table(handle)?;
        let stats = table.stats()?;
        out.push(TableUse {
            name,
            entries: table.len()?,
            stored_bytes: stats.stored_bytes(),
            pages: stats.leaf_pages() + stats.branch_pages(),
        });
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.stored_bytes));
    Ok(out)
}

struct Args {
    items: usize,
    json: bool,
}

fn parse_args() -> Args {
    let mut args = Args { items: DEFAULT_ITEMS, json: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => args.json = true,
            "--items" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => args.items = n,
                _ => {
                    eprintln!("--items needs a positive number");
                    std::process::exit(2);
                }
            },
            other => {
                if let Some(n) = other.strip_prefix("--items=") {
                    match n.parse() {
                        Ok(n) if n > 0 => args.items = n,
                        _ => {
                            eprintln!("--items needs a positive number");
                            std::process::exit(2);
                        }
                    }
                }
                // Anything else (cargo's `--bench`, filters) is ignored.
            }
        }
    }
    args
}

/// (time on CPU, time waiting for a CPU) of the calling thread so far (Linux schedstat).
fn thread_sched() -> Option<(Duration, Duration)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    let on_cpu = fields.next()??;
    let waiting = fields.next()??;
    Some((Duration::from_nanos(on_cpu), Duration::from_nanos(waiting)))
}

/// Adds grouped in consecutive blocks, to show how their cost grows with the store.
struct AddBlock {
    /// 1-based positions of the first and last add of the block.
    first: usize,
    last: usize,
    mean: Duration,
    p50: Duration,
    /// Mean time on CPU per add, and mean time spent runnable but waiting for a CPU
    /// (other processes); the rest of `mean` is mostly waiting for fdatasync.
    cpu: Option<Duration>,
    runqueue: Option<Duration>,
}

struct AddResult {
    total: Duration,
    sorted: Vec<Duration>,
    blocks: Vec<AddBlock>,
    /// Mean (on CPU, waiting for a CPU) per add over the whole run.
    sched_mean: Option<(Duration, Duration)>,
    /// Adds slower than 20 × the median, with their 1-based position.
    spikes: Vec<(usize, Duration)>,
}

struct QueryResult {
    query: &'static str,
    what: &'static str,
    hits: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn bench_adds(node: &Node, ns: &partage::NeighbourhoodId, drafts: Vec<ItemDraft>) -> AddResult {
    let n = drafts.len();
    let block_len = n.div_ceil(ADD_BLOCKS).max(1);
    let mut per_add = Vec::with_capacity(n);
    let mut sched = vec![thread_sched()];
    let start = Instant::now();
    for (i, d) in drafts.into_iter().enumerate() {
        let t = Instant::now();
        let view = node.add_item(ns, d).expect("add_item");
        per_add.push(t.elapsed());
        black_box(view);
        if (i + 1) % block_len == 0 || i + 1 == n {
            sched.push(thread_sched());
        }
    }
    let total = start.elapsed();
    let blocks = per_add
        .chunks(block_len)
        .enumerate()
        .map(|(b, chunk)| {
            let mut sorted = chunk.to_vec();
            sorted.sort_unstable();
            let count = chunk.len() as u32;
            let delta = match (sched[b], sched[b + 1]) {
                (Some(a), Some(z)) => Some((z.0 - a.0, z.1 - a.1)),
                _ => None,
            };
            AddBlock {
                first: b * block_len + 1,
                last: b * block_len + chunk.len(),
                mean: chunk.iter().sum::<Duration>() / count,
                p50: quantile(&sorted, 0.5),
                cpu: delta.map(|d| d.0 / count),
                runqueue: delta.map(|d| d.1 / count),
            }
        })
        .collect();
    let mut sorted = per_add.clone();
    sorted.sort_unstable();
    let p50 = quantile(&sorted, 0.5);
    let spikes =
        per_add.iter().enumerate().filter(|(_, d)| **d > p50 * 20).map(|(i, d)| (i + 1, *d)).collect();
    let sched_mean = match (sched.first().copied().flatten(), sched.last().copied().flatten()) {
        (Some(a), Some(z)) => Some(((z.0 - a.0) / n as u32, (z.1 - a.1) / n as u32)),
        _ => None,
    };
    AddResult { total, sorted, blocks, sched_mean, spikes }
}

struct ReopenResult {
    opens: Vec<Duration>,
    first_lists: Vec<Duration>,
    listed: usize,
}

fn bench_reopen(dir: &Path) -> (ReopenResult, Node) {
    let mut opens = Vec::with_capacity(REOPENS);
    let mut first_lists = Vec::with_capacity(REOPENS);
    let mut listed = 0;
    let mut last = None;
    for _ in 0..REOPENS {
        drop(last.take());
        let t = Instant::now();
        let node = Node::open(dir).expect("reopen");
        opens.push(t.elapsed());
        let t = Instant::now();
        let items = node.list_items(&ItemFilter::default()).expect("list_items");
        first_lists.push(t.elapsed());
        listed = items.len();
        drop(items);
        last = Some(node);
    }
    opens.sort_unstable();
    first_lists.sort_unstable();
    let node = last.expect("at least one reopen");
    (ReopenResult { opens, first_lists, listed }, node)
}

fn bench_search(node: &Node) -> Vec<QueryResult> {
    let filter = ItemFilter::default();
    QUERIES
        .iter()
        .map(|&(query, what)| {
            let mut times = Vec::with_capacity(SEARCH_REPEATS);
            let mut hits = 0;
            for _ in 0..SEARCH_REPEATS {
                let t = Instant::now();
                let found = node.search(black_box(query), &filter).expect("search");
                times.push(t.elapsed());
                hits = found.len();
                black_box(found);
            }
            times.sort_unstable();
            QueryResult {
                query,
                what,
                hits,
                p50: quantile(&times, 0.5),
                p99: quantile(&times, 0.99),
                max: *times.last().unwrap_or(&Duration::ZERO),
            }
        })
        .collect()
}

fn main() {
    let args = parse_args();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let n = args.items;

    let mut rng = XorShift(SEED);
    let drafts: Vec<ItemDraft> = (0..n).map(|_| draft(&mut rng)).collect();
    let avg_chars =
        |f: fn(&ItemDraft) -> usize| drafts.iter().map(f).sum::<usize>() as f64 / drafts.len() as f64;
    let avg_title = avg_chars(|d| d.title.chars().count());
    let avg_description = avg_chars(|d| d.description.chars().count());

    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("data");
    let node = Node::open(&dir).expect("open");
    node.init("Bench").expect("init");
    let ns = node.create_neighbourhood("Quartier des Lilas").expect("create_neighbourhood").id;

    // 1. Adds, one durable transaction each.
    let adds = bench_adds(&node, &ns, drafts);
    let store_bytes = std::fs::metadata(dir.join("partage.redb")).map(|m| m.len()).unwrap_or(0);
    drop(node);
    let tables = store_tables(&dir.join("partage.redb")).unwrap_or_else(|e| {
        eprintln!("cannot read table statistics: {e}");
        Vec::new()
    });

    // 2. Reopen.
    let (reopen, node) = bench_reopen(&dir);
    assert_eq!(reopen.listed, n, "every added item is listed after reopening");

    // 3. Search.
    let searches = bench_search(&node);

    // Extra: the first add after a reopen loads the member's document from the store.
    let mut rng = XorShift(SEED ^ 1);
    let t = Instant::now();
    node.add_item(&ns, draft(&mut rng)).expect("add after reopen");
    let first_add_after_reopen = t.elapsed();
    let t = Instant::now();
    node.add_item(&ns, draft(&mut rng)).expect("second add after reopen");
    let second_add_after_reopen = t.elapsed();
    let rss = peak_rss_kib();

    let add_p50 = quantile(&adds.sorted, 0.5);
    let add_p99 = quantile(&adds.sorted, 0.99);
    let add_max = *adds.sorted.last().unwrap_or(&Duration::ZERO);
    let items_per_s = n as f64 / adds.total.as_secs_f64();
    let open_median = reopen.opens[reopen.opens.len() / 2];
    let list_median = reopen.first_lists[reopen.first_lists.len() / 2];

    if args.json {
        let out = serde_json::json!({
            "machine": { "available_parallelism": cores },
            "workload": {
                "items": n,
                "seed": format!("{SEED:#x}"),
                "avg_title_chars": avg_title,
                "avg_description_chars": avg_description,
                "tags_per_item": 3,
                "reopens": REOPENS,
                "search_repeats": SEARCH_REPEATS,
            },
            "add": {
                "total_ms": ms(adds.total),
                "items_per_s": items_per_s,
                "p50_ms": ms(add_p50),
                "p99_ms": ms(add_p99),
                "max_ms": ms(add_max),
                "on_cpu_mean_ms": adds.sched_mean.map(|m| ms(m.0)),
                "waiting_for_cpu_mean_ms": adds.sched_mean.map(|m| ms(m.1)),
                "blocks": adds.blocks.iter().map(|b| serde_json::json!({
                    "first": b.first,
                    "last": b.last,
                    "mean_ms": ms(b.mean),
                    "p50_ms": ms(b.p50),
                    "cpu_ms": b.cpu.map(ms),
                    "runqueue_ms": b.runqueue.map(ms),
                })).collect::<Vec<_>>(),
                "spikes": adds.spikes.iter().map(|(i, d)| serde_json::json!({"add": i, "ms": ms(*d)})).collect::<Vec<_>>(),
            },
            "store_file_bytes": store_bytes,
            "store_tables": tables.iter().map(|t| serde_json::json!({
                "table": t.name,
                "entries": t.entries,
                "stored_bytes": t.stored_bytes,
                "pages": t.pages,
            })).collect::<Vec<_>>(),
            "reopen": {
                "open_ms": reopen.opens.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
                "open_median_ms": ms(open_median),
                "open_min_ms": ms(reopen.opens[0]),
                "open_max_ms": ms(reopen.opens[reopen.opens.len() - 1]),
                "first_list_median_ms": ms(list_median),
                "first_list_min_ms": ms(reopen.first_lists[0]),
                "first_list_max_ms": ms(reopen.first_lists[reopen.first_lists.len() - 1]),
                "listed": reopen.listed,
            },
            "search": searches.iter().map(|q| serde_json::json!({
                "query": q.query,
                "hits": q.hits,
                "p50_us": us(q.p50),
                "p99_us": us(q.p99),
                "max_us": us(q.max),
            })).collect::<Vec<_>>(),
            "first_add_after_reopen_ms": ms(first_add_after_reopen),
            "second_add_after_reopen_ms": ms(second_add_after_reopen),
            "peak_rss_kib": rss,
        });
        println!("{out}");
        return;
    }

    println!("machine: available_parallelism = {cores}");
    println!(
        "workload: {n} items (seed {SEED:#x}), titles avg {avg_title:.1} chars, descriptions avg \
         {avg_description:.1} chars, 3 tags, 1 of {} categories, 1 of {} conditions; \
         {REOPENS} reopens; each query {SEARCH_REPEATS} times",
        Category::ALL.len(),
        Condition::ALL.len()
    );
    println!();
    println!("add_item (one durable redb transaction each)");
    println!("  total           {:>10.1} ms", ms(adds.total));
    println!("  throughput      {items_per_s:>10.1} items/s");
    println!("  p50             {:>10.3} ms", ms(add_p50));
    println!("  p99             {:>10.3} ms", ms(add_p99));
    println!("  max             {:>10.3} ms", ms(add_max));
    if let Some((cpu, waiting)) = adds.sched_mean {
        println!("  on CPU (mean)   {:>10.3} ms", ms(cpu));
        println!("  waiting for CPU {:>10.3} ms   (runnable, other processes had the cores)", ms(waiting));
    }
    if !adds.spikes.is_empty() {
        let list: Vec<String> = adds.spikes.iter().map(|(i, d)| format!("#{i} {:.1} ms", ms(*d))).collect();
        println!("  > 20 x p50      {}", list.join(", "));
    }
    println!("  by block          mean ms   p50 ms   on-CPU ms   waiting-for-CPU ms");
    for b in &adds.blocks {
        let opt = |d: Option<Duration>| d.map_or("n/a".to_owned(), |d| format!("{:.3}", ms(d)));
        println!(
            "  {:>6}..{:<6} {:>9.3} {:>8.3} {:>11} {:>12}",
            b.first,
            b.last,
            ms(b.mean),
            ms(b.p50),
            opt(b.cpu),
            opt(b.runqueue)
        );
    }
    println!("  store file      {:>10.2} MiB ({store_bytes} bytes)", store_bytes as f64 / (1024.0 * 1024.0));
    for t in &tables {
        println!(
            "    table {:<14} {:>6} entries {:>9.2} MiB stored {:>6} pages",
            t.name,
            t.entries,
            t.stored_bytes as f64 / (1024.0 * 1024.0),
            t.pages
        );
    }
    println!();
    println!("reopen with {n} items ({REOPENS} times, warm page cache)");
    println!(
        "  Node::open      median {:>8.2} ms   min {:>8.2} ms   max {:>8.2} ms",
        ms(open_median),
        ms(reopen.opens[0]),
        ms(reopen.opens[reopen.opens.len() - 1])
    );
    println!(
        "  first list      median {:>8.2} ms   min {:>8.2} ms   max {:>8.2} ms   ({} items)",
        ms(list_median),
        ms(reopen.first_lists[0]),
        ms(reopen.first_lists[reopen.first_lists.len() - 1]),
        reopen.listed
    );
    println!(
        "  first add_item after reopen {:.2} ms, second {:.2} ms",
        ms(first_add_after_reopen),
        ms(second_add_after_reopen)
    );
    println!();
    println!("search among {n} items ({SEARCH_REPEATS} runs per query)");
    println!("  {:<22} {:>6} {:>10} {:>10} {:>10}   note", "query", "hits", "p50 us", "p99 us", "max us");
    for q in &searches {
        println!(
            "  {:<22} {:>6} {:>10.1} {:>10.1} {:>10.1}   {}",
            format!("\"{}\"", q.query),
            q.hits,
            us(q.p50),
            us(q.p99),
            us(q.max),
            q.what
        );
    }
    if let Some(kib) = rss {
        println!();
        println!("peak RSS {:.1} MiB", kib as f64 / 1024.0);
    }
}
