//! `partage-bench`: one command, one deterministic workload, one JSON object (or a table).
//!
//! ```text
//! cargo run --release -p partage-bench -- [--items N] [--members M] [--runs R] [--edits E]
//!                                          [--nodes K] [--json]
//! ```
//! Defaults: 10,000 items over 20 members, N/10 loans, 3 runs of each repeated figure, 200
//! single edits, 20 nodes for the convergence figure. See `docs/BENCHMARKS.md`.

mod bulk;
mod floor;
mod inproc;
mod net;
mod stats;
#[path = "../../core/benches/common/workload.rs"]
mod workload;
mod world;

use partage::{ItemFilter, LoanFilter};
use serde_json::json;
use stats::{Res, Spread, ms, peak_rss_kib, quantile};
use std::time::{Duration, Instant};

struct Args {
    items: usize,
    members: usize,
    runs: usize,
    edits: usize,
    nodes: usize,
    json: bool,
    /// Skip the libp2p figures (for profiling the core alone).
    skip_net: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a =
        Args { items: 10_000, members: 20, runs: 3, edits: 200, nodes: 20, json: false, skip_net: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|n: &usize| *n > 0)
                .ok_or_else(|| format!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "--items" => a.items = number("--items")?,
            "--members" => a.members = number("--members")?,
            "--runs" => a.runs = number("--runs")?,
            "--edits" => a.edits = number("--edits")?,
            "--nodes" => a.nodes = number("--nodes")?,
            "--json" => a.json = true,
            "--skip-net" => a.skip_net = true,
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.members < 2 || a.nodes < 2 {
        return Err("--members and --nodes need at least 2".into());
    }
    Ok(a)
}

/// Time of `f`, `runs` times, in ms.
fn timed(runs: usize, mut f: impl FnMut() -> Res<()>) -> Res<Spread> {
    let mut values = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        values.push(ms(t.elapsed()));
    }
    Ok(Spread::of(&values))
}

const QUERIES: &[&str] = &["echel", "perceuse", "tente 4", "raclette", "tondeuse electrique", "zzz"];

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let started = Instant::now();
    let world = world::build(args.items, args.members)?;
    let mut nodes = world.nodes.into_iter();
    let hub = nodes.next().ok_or("no hub")?;
    let other = nodes.next().ok_or("no second member")?;
    let ns = world.ns;
    let loans = hub.node.loans(&LoanFilter::default())?.len();
    let store_bytes =
        std::fs::metadata(hub.dir.path().join(partage::node::STORE_FILE)).map_or(0, |m| m.len());

    // Reopen the hub (holds every document) `runs` times.
    let mut hub = Some(hub);
    let reopen = timed(args.runs, || {
        let h = hub.take().ok_or("no hub")?;
        hub = Some(h.reopen());
        Ok(())
    })?;
    let hub = hub.ok_or("no hub")?;
    let mut search = Vec::with_capacity(QUERIES.len());
    for q in QUERIES {
        let mut times: Vec<Duration> = Vec::with_capacity(100);
        for _ in 0..100 {
            let t = Instant::now();
            std::hint::black_box(hub.node.search(q, &ItemFilter::default())?);
            times.push(t.elapsed());
        }
        times.sort_unstable();
        let hits = hub.node.search(q, &ItemFilter::default())?.len();
        search.push(json!({ "query": q, "hits": hits, "p50_us": ms(quantile(&times, 0.5)) * 1e3, "p99_us": ms(quantile(&times, 0.99)) * 1e3 }));
    }

    let bulk = bulk::measure(args.items, args.runs)?;
    // The first page (20 by title) of a one-letter query, as a search box shows while typing.
    let mut page_times: Vec<Duration> = Vec::with_capacity(100);
    let mut page_total = 0;
    for _ in 0..100 {
        let t = Instant::now();
        let page = std::hint::black_box(hub.node.search_page("e", &ItemFilter::default(), 20, 0)?);
        page_times.push(t.elapsed());
        page_total = page.total;
    }
    page_times.sort_unstable();
    let first_page = json!({ "query": "e", "limit": 20, "hits": page_total, "p50_us": ms(quantile(&page_times, 0.5)) * 1e3, "p99_us": ms(quantile(&page_times, 0.99)) * 1e3 });
    let floor = floor::measure(&hub.node, &ns)?;
    let inproc = inproc::measure(&hub, &other, &ns, args.edits)?;
    let mut inproc_full: Vec<(f64, f64)> = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let (build, import) = inproc::full_sync(&hub, &ns)?;
        inproc_full.push((ms(build), ms(import)));
    }
    let inproc_build = Spread::of(&inproc_full.iter().map(|p| p.0).collect::<Vec<_>>());
    let inproc_import = Spread::of(&inproc_full.iter().map(|p| p.1).collect::<Vec<_>>());
    if args.skip_net {
        println!(
            "in-process full sync: bundles {}, import {}",
            inproc_build.show("ms"),
            inproc_import.show("ms")
        );
        println!(
            "one edit in-process: edit {:.2} ms, bundle {:.2} ms, import {:.2} ms (p50)",
            ms(inproc.edit),
            ms(inproc.bundle),
            ms(inproc.import)
        );
        return Ok(());
    }
    let (full, live) = runtime.block_on(net::sync_figures(&hub, &ns, args.runs, args.edits))?;
    let mut convergence: Vec<f64> = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        convergence.push(runtime.block_on(net::convergence(args.nodes, 10))?.0);
    }
    let cdylib = cdylib_size();

    let report = json!({
        "machine": { "available_parallelism": std::thread::available_parallelism().map_or(0, |n| n.get()) },
        "workload": {
            "items": args.items, "members": args.members, "loans": loans, "loans_requested": world.loans,
            "runs": args.runs,
            "seed": format!("{:#x}", workload::SEED),
        },
        "local_writes": world.adds.json(),
        "bulk_import_items_per_s": bulk.json(),
        "store_file_bytes": store_bytes,
        "reopen_ms": reopen.json(),
        "search": search,
        "search_first_page": first_page,
        "full_sync": full.json(),
        "automerge_floor": floor.json(),
        "ratios": {
            "full_sync_time_vs_floor": full.time_ms.median / ms(floor.time).max(f64::EPSILON),
            "bytes_vs_floor_sync": full.received as f64 / floor.sync_bytes.max(1) as f64,
            "bytes_vs_saved_size": full.received as f64 / floor.saved_bytes.max(1) as f64,
        },
        "live": live.json(),
        "one_edit_in_process": inproc.json(),
        "full_sync_in_process": { "bundles_ms": inproc_build.json(), "import_ms": inproc_import.json() },
        "convergence": { "nodes": args.nodes, "edits_per_node": 10, "time_ms": Spread::of(&convergence).json() },
        "peak_rss_kib": peak_rss_kib(),
        "cdylib_bytes": cdylib.map(|c| c.0),
        "cdylib_profile": cdylib.map(|c| c.1),
        "wall_time_s": started.elapsed().as_secs_f64(),
    });
    if args.json {
        println!("{report}");
        return Ok(());
    }
    println!(
        "partage-bench: {} items over {} members, {loans} loans, {} runs",
        args.items, args.members, args.runs
    );
    println!(
        "local writes          {:.0} items/s (p50 {:.2} ms, p99 {:.2} ms per durable add)",
        args.items as f64 / world.adds.total.as_secs_f64(),
        ms(world.adds.p50),
        ms(world.adds.p99)
    );
    println!("bulk import           {} (add_items, durable)", bulk.show("items/s"));
    println!("store file            {:.2} MiB", store_bytes as f64 / 1048576.0);
    println!("reopen                {}", reopen.show("ms"));
    for s in &search {
        let field = |name: &str| s.get(name).cloned().unwrap_or_default();
        println!(
            "search {:<22} {} hits, p50 {:.0} µs",
            field("query"),
            field("hits"),
            field("p50_us").as_f64().unwrap_or(0.0)
        );
    }
    println!(
        "search \"e\", first 20   of {} hits, p50 {:.0} µs (search_page)",
        page_total,
        ms(quantile(&page_times, 0.5)) * 1e3
    );
    println!(
        "full sync (libp2p)    {} ; {} B received, {} B sent; {} messages in, {} out",
        full.time_ms.show("ms"),
        full.received,
        full.sent,
        full.messages.0,
        full.messages.1
    );
    println!(
        "automerge floor       {:.1} ms, {} B in {} messages (saved size {} B)",
        ms(floor.time),
        floor.sync_bytes,
        floor.messages,
        floor.saved_bytes
    );
    println!(
        "one edit              p50 {:.2} ms, p99 {:.2} ms over {} edits",
        live.edit_p50_ms, live.edit_p99_ms, live.edits
    );
    println!(
        "one edit in-process   edit {:.2} ms, bundle {:.2} ms, import {:.2} ms (p50), {} B of changes",
        ms(inproc.edit),
        ms(inproc.bundle),
        ms(inproc.import),
        inproc.bundle_bytes
    );
    println!(
        "idle reconnect        {:.1} ms, {} B received, {} B sent",
        live.reconnect_ms, live.reconnect_received, live.reconnect_sent
    );
    println!(
        "convergence           {} nodes x 10 edits: {}",
        args.nodes,
        Spread::of(&convergence).show("ms")
    );
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS              {:.1} MiB", kib as f64 / 1024.0);
    }
    match cdylib {
        Some((b, profile)) => {
            println!(
                "cdylib                {:.2} MiB (target/{profile}/libpartage_ffi.so)",
                b as f64 / 1048576.0
            )
        }
        None => {
            println!("cdylib                not built (cargo build --profile release-ffi -p partage-ffi)")
        }
    }
    Ok(())
}

/// Size of the FFI library as shipped (`release-ffi` profile: LTO, stripped), else the plain
/// release build, if either has been built; with the profile it came from.
fn cdylib_size() -> Option<(u64, &'static str)> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    ["release-ffi", "release"].into_iter().find_map(|profile| {
        let len = std::fs::metadata(target.join(profile).join("libpartage_ffi.so")).ok()?.len();
        Some((len, profile))
    })
}
