//! Bulk import: a catalogue of `items` drafts (the standard workload's) added by a fresh member
//! with `Node::add_items`, in batches of at most `MAX_BATCH_ITEMS`, durable.

use crate::stats::{Res, Spread, ms};
use partage_tests::neighbourhood;
use partage_workload::{SEED, XorShift, draft};
use std::time::Instant;

/// Items per second, over `runs` fresh stores.
pub fn measure(items: usize, runs: usize) -> Res<Spread> {
    let mut rates = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (nodes, ns) = neighbourhood(&["Outilthèque"]);
        let library = nodes.first().ok_or("no node")?;
        let mut rng = XorShift(SEED);
        let drafts: Vec<_> = (0..items).map(|_| draft(&mut rng)).collect();
        let started = Instant::now();
        for batch in drafts.chunks(partage::node::MAX_BATCH_ITEMS) {
            library.node.add_items(&ns, batch.to_vec())?;
        }
        rates.push(items as f64 / (ms(started.elapsed()) / 1000.0).max(f64::EPSILON));
    }
    Ok(Spread::of(&rates))
}
