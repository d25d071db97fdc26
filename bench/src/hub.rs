//! The standard workload's figures (N items over M members, N/10 loans; the hub holds every
//! document): local writes, bulk import, reopen, search, the automerge floor, the core's
//! share in-process, then full sync and live edits over libp2p.

use crate::args::Args;
use crate::report::Report;
use crate::stats::{Res, Spread, ms, ratio};
use crate::{bulk, floor, inproc, live, memory, net, reopen, search, world};
use partage::LoanFilter;
use partage_workload::SEED;
use serde_json::json;

pub fn figures(args: &Args, runtime: &tokio::runtime::Runtime, r: &mut Report) -> Res<()> {
    r.progress("building the standard workload");
    let world = world::build(args.items, args.members)?;
    let ns = world.ns;
    let mut nodes = world.nodes.into_iter();
    let hub = nodes.next().ok_or("no hub")?;
    let other = nodes.next().ok_or("no second member")?;
    drop(nodes);
    let loans = hub.node.loans(&LoanFilter::default())?.len();
    r.set(
        "workload",
        json!({
            "items": args.items, "members": args.members, "loans": loans, "loans_requested": world.loans,
            "runs": args.runs, "seed": format!("{SEED:#x}"),
        }),
    );
    r.line(format!(
        "partage-bench: {} items over {} members, {loans} loans, {} runs",
        args.items, args.members, args.runs
    ));
    r.set("local_writes", world.adds.json());
    r.line(format!("local writes          {}", world.adds.line()));
    let floor = floor::measure(&hub.node, &ns)?;
    r.set("automerge_floor", floor.json());
    let hub = if args.runs("core") { core(args, hub, &other, &ns, r)? } else { hub };
    r.line(format!("automerge floor       {}", floor.line()));
    let hub = if args.runs("sync") { sync(args, runtime, hub, &ns, &floor, r)? } else { hub };
    if args.runs("memory") {
        r.progress("one node's memory, in a child process");
        let (mem, _hub) = runtime.block_on(memory::measure(hub, &ns))?;
        r.lines(memory::lines(&mem));
        r.set("node_memory", mem);
    }
    Ok(())
}

/// Full sync to a fresh member and live edits over libp2p; returns the hub.
fn sync(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
    hub: partage_tests::TestNode,
    ns: &partage::NeighbourhoodId,
    floor: &floor::Floor,
    r: &mut Report,
) -> Res<partage_tests::TestNode> {
    r.progress("full sync and live edits over libp2p");
    let (full, synced) = runtime.block_on(net::full_sync(&hub.node, ns, args.runs))?;
    let live = runtime.block_on(live::measure(&hub.node, synced, args.edits))?;
    r.set("full_sync", full.json());
    r.set(
        "ratios",
        json!({
            "full_sync_time_vs_floor": ratio(full.time_ms.median, floor.time_ms()),
            "bytes_vs_floor_sync": ratio(full.received as f64, floor.sync_bytes as f64),
            "bytes_vs_saved_size": ratio(full.received as f64, floor.saved_bytes as f64),
        }),
    );
    r.set("live", live.json());
    r.line(format!("full sync (libp2p)    {}", full.line()));
    r.line(format!("  time {:.2}x the automerge floor", ratio(full.time_ms.median, floor.time_ms())));
    r.lines(live.lines());
    Ok(hub)
}

/// The figures without a network; returns the hub (reopened).
fn core(
    args: &Args,
    hub: partage_tests::TestNode,
    other: &partage_tests::TestNode,
    ns: &partage::NeighbourhoodId,
    r: &mut Report,
) -> Res<partage_tests::TestNode> {
    let store_bytes =
        std::fs::metadata(hub.dir.path().join(partage::node::STORE_FILE)).map_or(0, |m| m.len());
    r.progress("reopen and search");
    let (reopen, hub) = reopen::measure(hub, args.runs)?;
    let search = search::measure(&hub.node)?;
    r.progress("bulk import");
    let bulk = bulk::measure(args.items, args.runs)?;
    r.progress("the core's share in-process");
    let one_edit = inproc::measure(&hub, other, ns, args.edits)?;
    let mut full: Vec<(f64, f64)> = Vec::with_capacity(args.runs);
    let (mut alone, mut together) = (Vec::new(), Vec::new());
    for run in 0..args.runs {
        let (build, import) = inproc::full_sync(&hub, ns)?;
        full.push((ms(build), ms(import)));
        // Alternated, and in the other order every other run: the machine drifts.
        for prepared in [run % 2 == 1, run % 2 == 0] {
            let t = ms(inproc::round_import(&hub, ns, prepared)?);
            if prepared { together.push(t) } else { alone.push(t) }
        }
    }
    let build = Spread::of(&full.iter().map(|p| p.0).collect::<Vec<_>>());
    let import = Spread::of(&full.iter().map(|p| p.1).collect::<Vec<_>>());
    let (alone, together) = (Spread::of(&alone), Spread::of(&together));
    r.set("bulk_import_items_per_s", bulk.json());
    r.set("store_file_bytes", json!(store_bytes));
    r.set("reopen_ms", reopen.open.json());
    r.set("first_write_after_reopen_ms", reopen.first_write.json());
    r.set("first_write_after_warm_up_ms", reopen.first_write_warm.json());
    r.set("reopen", reopen.json());
    r.set("search", search.json());
    r.set("search_first_page", search.first_page_json());
    r.set("one_edit_in_process", one_edit.json());
    r.set(
        "full_sync_in_process",
        json!({
            "bundles_ms": build.json(),
            "import_ms": import.json(),
            "round_import_ms": alone.json(),
            "round_import_prepared_ms": together.json(),
        }),
    );
    r.line(format!("bulk import           {} (add_items, durable)", bulk.show("items/s")));
    r.line(format!("store file            {:.2} MiB", store_bytes as f64 / 1048576.0));
    r.lines(reopen.lines("(hub)"));
    r.lines(search.lines());
    r.line(format!(
        "one edit in-process   edit {:.2} ms, bundle {:.2} ms, import {:.2} ms (p50), {} B of changes",
        ms(one_edit.edit),
        ms(one_edit.bundle),
        ms(one_edit.import),
        one_edit.bundle_bytes
    ));
    r.line(format!("full sync in-process  bundles {}, import {}", build.show("ms"), import.show("ms")));
    r.line(format!(
        "  as a round (1 flush) one by one {}, prepared two at a time {}",
        alone.show("ms"),
        together.show("ms")
    ));
    Ok(hub)
}
