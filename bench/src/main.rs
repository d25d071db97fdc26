//! `partage-bench`: one command, one deterministic workload, one JSON object (or a table).
//!
//! ```text
//! cargo run --release -p partage-bench -- [--items N] [--members M] [--runs R] [--edits E]
//!     [--nodes K] [--mesh K] [--scale-members M] [--scale-items I] [--history H] [--photo-items P]
//!     [--home-items I] [--home-members M]
//!     [--only GROUP,...] [--json]
//! ```
//! Defaults: 10,000 items over 20 members, N/10 loans, 3 runs of each repeated figure, 200
//! single edits, 20 nodes for the convergence figure, a 50-node mesh, 200 members x 50 items
//! at scale, 10,000 edits of history. `--help` lists every option; see `docs/BENCHMARKS.md`
//! for what each figure measures.

mod adds;
mod args;
mod bulk;
mod convergence;
mod floor;
mod history;
mod home;
mod hub;
mod inproc;
mod inventory;
mod live;
mod memory;
mod net;
mod photos;
mod relay;
mod reopen;
mod report;
#[cfg(feature = "samod")]
mod samod;
mod scale;
mod search;
mod stats;
mod tables;
mod wire;
mod world;

use args::Args;
use convergence::Topology;
use report::Report;
use serde_json::json;
use stats::{Res, peak_rss_kib};
use std::time::Instant;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let Some((first, rest)) = argv.split_first()
        && first == memory::SUBCOMMAND
    {
        if let Err(e) = memory::child(rest) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Some((first, rest)) = argv.split_first()
        && first == home::SUBCOMMAND
    {
        if let Err(e) = home::child(rest) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    let args = match args::parse(argv.into_iter()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Res<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let started = Instant::now();
    let mut r = Report::default();
    r.set(
        "machine",
        json!({ "available_parallelism": std::thread::available_parallelism().map_or(0, |n| n.get()) }),
    );
    if args.runs("core") || args.runs("sync") || args.runs("memory") {
        hub::figures(args, &runtime, &mut r)?;
    }
    if args.runs("convergence") {
        r.progress("convergence");
        let c = runtime.block_on(convergence::measure(args.nodes, 10, Topology::Star, args.runs))?;
        r.set("convergence", c.json());
        r.line(format!("convergence           {}", c.line()));
    }
    if args.runs("inventory") || args.runs("wire") || args.runs("samod") {
        r.progress("one member's inventory in one document");
        let (inventory, solo) = inventory::measure(args.items, args.runs)?;
        if args.runs("inventory") {
            r.set("inventory", inventory.json());
            r.lines(inventory.lines());
        }
        if args.runs("wire") {
            r.progress("sync through a counting relay");
            let w = runtime.block_on(wire::measure(&solo, args.runs, args.edits))?;
            r.set("wire", w.json());
            r.lines(w.lines());
        }
        if args.runs("samod") {
            peer(args, &runtime, &solo, &mut r)?;
        }
    }
    if args.runs("scale") {
        r.progress("scale: a neighbourhood of many members");
        let s = runtime.block_on(scale::measure(args.scale_members, args.scale_items, args.runs))?;
        r.set("scale", s.json());
        r.lines(s.lines());
    }
    if args.runs("mesh") {
        r.progress("mesh convergence");
        let c = runtime.block_on(convergence::measure(args.mesh, 10, Topology::Mesh, args.runs))?;
        r.set("mesh_convergence", c.json());
        r.line(format!("mesh convergence      {}", c.line()));
    }
    if args.runs("history") {
        r.progress("a long history");
        let h = runtime.block_on(history::measure(args.history, args.runs, args.edits))?;
        r.set("history", h.json());
        r.lines(h.lines());
    }
    if args.runs("photos") {
        r.progress("photos");
        let p = runtime.block_on(photos::measure(args.photo_items, args.runs))?;
        r.set("photos", p.json());
        r.lines(p.lines());
    }
    if args.runs("home") {
        r.progress("a home node: behind NAT, and serving many members");
        let edits = args.edits.min(50);
        let h = runtime.block_on(home::measure(args.home_items, edits, args.home_members, args.runs))?;
        r.set("home_node", h.json());
        r.lines(h.lines());
    }
    r.set("peak_rss_kib", json!(peak_rss_kib()));
    if let Some(kib) = peak_rss_kib() {
        r.line(format!("peak RSS (harness)    {:.1} MiB", kib as f64 / 1024.0));
    }
    let cdylib = cdylib_size();
    r.set("cdylib_bytes", json!(cdylib.map(|c| c.0)));
    r.set("cdylib_profile", json!(cdylib.map(|c| c.1)));
    r.line(match cdylib {
        Some((b, profile)) => {
            format!(
                "cdylib                {:.2} MiB (target/{profile}/libpartage_ffi.so)",
                b as f64 / 1048576.0
            )
        }
        None => "cdylib                not built (cargo build --profile release-ffi -p partage-ffi)".into(),
    });
    r.set("wall_time_s", json!(started.elapsed().as_secs_f64()));
    r.print(args.json);
    Ok(())
}

/// samod on the same document, and partage's full syncs over samod's.
#[cfg(feature = "samod")]
fn peer(args: &Args, runtime: &tokio::runtime::Runtime, solo: &inventory::Solo, r: &mut Report) -> Res<()> {
    r.progress("samod on the same document");
    let s = runtime.block_on(samod::measure(solo, args.runs))?;
    let mut v = s.json();
    let over = |p: Option<f64>| p.map(|p| stats::ratio(p, s.time_ms.median));
    let ratios = json!({
        "full_sync_vs_samod": over(r.number("/full_sync/time_ms/median")),
        "one_document_full_sync_vs_samod": over(r.number("/wire/full_sync_ms/median")),
        "samod_vs_its_floor": stats::ratio(s.time_ms.median, s.floor_ms),
    });
    r.line(s.line());
    if let Some(x) = ratios.get("full_sync_vs_samod").and_then(|x| x.as_f64()) {
        r.line(format!("  partage full sync (libp2p, {} documents) / samod: {x:.2}x", args.members));
    }
    if let Some(x) = ratios.get("one_document_full_sync_vs_samod").and_then(|x| x.as_f64()) {
        r.line(format!("  partage full sync of the same one document (wire) / samod: {x:.2}x"));
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("ratios".into(), ratios);
    }
    r.set("samod", v);
    Ok(())
}

#[cfg(not(feature = "samod"))]
fn peer(_: &Args, _: &tokio::runtime::Runtime, _: &inventory::Solo, r: &mut Report) -> Res<()> {
    r.set("samod", json!({ "skipped": "built without the samod feature" }));
    r.line("samod                 not built (cargo feature samod off)".into());
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
