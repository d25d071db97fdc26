//! A member document after a long history (a year of use): one member with 50 items edits them
//! H times (default 10,000, one durable `edit_item` each), then reopen, full sync to a fresh
//! member over libp2p on 127.0.0.1 and one edit's cost are measured, and compared with the same
//! figures after 100 edits, to see whether they stay flat as history grows; and once more after
//! the same long history and `forget_history` (the document rebased onto a fresh epoch, see
//! `partage::doc_epoch`), to see what a rebase gives back. Since the automatic rebase at the
//! compaction point (`partage::node::AUTO_REBASE_MIN_CHANGES`, `AUTO_REBASE_MIN_OPS`), the long
//! history itself is rebased whenever its history outgrows the document (at least 1,000
//! operations: about every 500 edits here), so where N falls in that period matters: run with
//! a few values of `--history` to see the whole period.

use crate::inproc::{self, Phases};
use crate::net::{self, FullSync};
use crate::reopen::{self, Reopen};
use crate::stats::{Res, ms, ratio};
use partage::{DocPayload, ItemFilter, ItemPatch};
use partage_tests::TestNode;
use partage_workload::{SEED, XorShift, draft};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ITEMS: usize = 50;
/// The history every figure is compared with.
const BASELINE_EDITS: usize = 100;

pub struct AtHistory {
    pub edits: usize,
    /// Rebased after the edits.
    pub rebased: bool,
    pub editing: Duration,
    pub snapshot_bytes: usize,
    pub reopen: Reopen,
    pub full_sync: FullSync,
    pub one_edit: Phases,
}

pub struct History {
    pub baseline: AtHistory,
    pub long: AtHistory,
    pub rebased: AtHistory,
}

async fn at(history: usize, rebase: bool, runs: usize, edits: usize) -> Res<AtHistory> {
    let alice = TestNode::new("Alice");
    let ns = alice.node.create_neighbourhood("Quartier des Lilas")?.id;
    let mut rng = XorShift(SEED);
    alice.node.add_items(&ns, (0..ITEMS).map(|_| draft(&mut rng)).collect())?;
    let ids: Vec<_> = alice.node.list_items(&ItemFilter::default())?.into_iter().map(|v| v.item.id).collect();
    let started = Instant::now();
    for k in 0..history {
        let id = ids.get(k % ids.len()).ok_or("no item")?;
        let patch = ItemPatch { description: Some(format!("état au jour {k}")), ..ItemPatch::default() };
        alice.node.edit_item(id, &patch)?;
    }
    let editing = started.elapsed();
    if rebase {
        alice.node.forget_history(&ns)?;
    }
    let me = alice.node.identity()?.ok_or("no identity")?.member;
    let snapshot_bytes = match alice.node.doc_bundle(&ns, &me, &[])?.payload {
        DocPayload::Snapshot(s) => s.len(),
        DocPayload::Changes(cs) => cs.iter().map(Vec::len).sum(),
    };
    let (reopen, alice) = reopen::measure(alice, runs)?;
    let (full_sync, synced) = net::full_sync(&alice.node, &ns, runs).await?;
    let fresh = synced.stop().await?;
    let one_edit = inproc::measure(&alice, &fresh, &ns, edits)?;
    Ok(AtHistory { edits: history, rebased: rebase, editing, snapshot_bytes, reopen, full_sync, one_edit })
}

pub async fn measure(history: usize, runs: usize, edits: usize) -> Res<History> {
    let baseline = at(BASELINE_EDITS.min(history), false, runs, edits).await?;
    let long = at(history, false, runs, edits).await?;
    let rebased = at(history, true, runs, edits).await?;
    Ok(History { baseline, long, rebased })
}

impl AtHistory {
    fn json(&self) -> Value {
        json!({
            "edits": self.edits,
            "rebased": self.rebased,
            "editing_ms": ms(self.editing),
            "snapshot_bytes": self.snapshot_bytes,
            "reopen": self.reopen.json(),
            "full_sync": self.full_sync.json(),
            "one_edit_in_process": self.one_edit.json(),
        })
    }
}

impl History {
    /// Long-history figure over the baseline's, per figure (1.0 = flat).
    fn ratios(&self) -> Value {
        Self::ratios_of(&self.long, &self.baseline)
    }

    fn ratios_of(l: &AtHistory, b: &AtHistory) -> Value {
        json!({
            "reopen_open": ratio(l.reopen.open.median, b.reopen.open.median),
            "first_write_after_reopen": ratio(l.reopen.first_write.median, b.reopen.first_write.median),
            "full_sync_time": ratio(l.full_sync.time_ms.median, b.full_sync.time_ms.median),
            "full_sync_bytes": ratio(l.full_sync.received as f64, b.full_sync.received as f64),
            "edit": ratio(ms(l.one_edit.edit), ms(b.one_edit.edit)),
            "import_one_edit": ratio(ms(l.one_edit.import), ms(b.one_edit.import)),
            "snapshot_bytes": ratio(l.snapshot_bytes as f64, b.snapshot_bytes as f64),
        })
    }

    pub fn json(&self) -> Value {
        json!({
            "workload": format!(
                "one member, {ITEMS} items (add_items), then N durable edit_item calls round-robin over them; measured at N = {} and N = {}",
                self.baseline.edits, self.long.edits
            ),
            "baseline": self.baseline.json(),
            "long": self.long.json(),
            "long_vs_baseline": self.ratios(),
            "rebased": self.rebased.json(),
            "rebased_vs_baseline": Self::ratios_of(&self.rebased, &self.baseline),
        })
    }

    pub fn lines(&self) -> Vec<String> {
        let row = |h: &AtHistory| {
            format!(
                "  {:>6} edits{}: snapshot {} B; reopen {:.1} ms, first write {:.2} ms; full sync {:.1} ms ({} B); edit {:.2} ms, import {:.2} ms (p50)",
                h.edits,
                if h.rebased { ", rebased" } else { "" },
                h.snapshot_bytes,
                h.reopen.open.median,
                h.reopen.first_write.median,
                h.full_sync.time_ms.median,
                h.full_sync.received,
                ms(h.one_edit.edit),
                ms(h.one_edit.import)
            )
        };
        let ratios = |v: Value| {
            v.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| format!("{k} {:.2}x", v.as_f64().unwrap_or(0.0)))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        vec![
            format!("history: one member document, {ITEMS} items"),
            row(&self.baseline),
            row(&self.long),
            row(&self.rebased),
            format!("  long / baseline: {}", ratios(self.ratios())),
            format!("  rebased / baseline: {}", ratios(Self::ratios_of(&self.rebased, &self.baseline))),
        ]
    }
}
