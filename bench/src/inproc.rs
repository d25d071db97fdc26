//! The core's share of one edit's propagation, without any network: edit on one node, build
//! the bundle of what the other lacks, verify and import it there.

use crate::stats::{Res, ms, quantile};
use partage::{ItemFilter, ItemPatch, NeighbourhoodId};
use partage_tests::TestNode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct Phases {
    pub edits: usize,
    pub edit: Duration,
    pub bundle: Duration,
    pub import: Duration,
    pub bundle_bytes: usize,
}

impl Phases {
    pub fn json(&self) -> Value {
        json!({
            "edits": self.edits,
            "edit_p50_ms": ms(self.edit),
            "bundle_p50_ms": ms(self.bundle),
            "import_p50_ms": ms(self.import),
            "bundle_bytes_p50": self.bundle_bytes,
        })
    }
}

/// `edits` edits of one of `from`'s items, each carried to `to` in-process.
pub fn measure(from: &TestNode, to: &TestNode, ns: &NeighbourhoodId, edits: usize) -> Res<Phases> {
    let me = from.node.identity()?.ok_or("the sending node has no identity")?.member;
    let item = from
        .node
        .list_items(&ItemFilter { owner: Some(me), ..ItemFilter::default() })?
        .into_iter()
        .next()
        .ok_or("the sending node has no item to edit")?
        .item
        .id;
    let (mut edit, mut bundle, mut import, mut sizes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for k in 0..edits {
        let patch = ItemPatch { title: Some(format!("Échelle édition {k}")), ..ItemPatch::default() };
        let t = Instant::now();
        from.node.edit_item(&item, &patch)?;
        edit.push(t.elapsed());
        let have = to
            .node
            .doc_summaries(ns)?
            .into_iter()
            .find(|s| s.owner == me)
            .map(|s| s.heads)
            .unwrap_or_default();
        let t = Instant::now();
        let b = from.node.doc_bundle(ns, &me, &have)?;
        bundle.push(t.elapsed());
        sizes.push(match &b.payload {
            partage::DocPayload::Changes(cs) => cs.iter().map(Vec::len).sum(),
            partage::DocPayload::Snapshot(s) => s.len(),
        });
        let t = Instant::now();
        to.node.import_bundle(&b)?;
        import.push(t.elapsed());
    }
    for v in [&mut edit, &mut bundle, &mut import] {
        v.sort_unstable();
    }
    sizes.sort_unstable();
    Ok(Phases {
        edits,
        edit: quantile(&edit, 0.5),
        bundle: quantile(&bundle, 0.5),
        import: quantile(&import, 0.5),
        bundle_bytes: sizes.get(sizes.len() / 2).copied().unwrap_or(0),
    })
}

/// A whole inventory carried to a fresh member in-process: time to build the bundles on the
/// sending side and to verify and import them on the receiving side.
pub fn full_sync(from: &TestNode, ns: &NeighbourhoodId) -> Res<(Duration, Duration)> {
    let fresh = fresh_member(from, ns)?;
    let t = Instant::now();
    let bundles = whole_documents(from, ns)?;
    let build = t.elapsed();
    partage::identity::forget_verified_signatures(); // as on a phone meeting them first (ADR 0021)
    let t = Instant::now();
    for b in &bundles {
        fresh.node.import_bundle(b)?;
    }
    Ok((build, t.elapsed()))
}

/// Whole documents a session was seen to prepare together (a 20-document full sync over
/// libp2p on this machine: ten batches of two, `PARTAGE_NET_DEBUG=1`).
const PREPARED_AT_ONCE: usize = 2;

/// The same documents imported into a fresh member as a sync round imports them (durable once,
/// at the end): one after the other, or (`prepared`) checked and loaded `PREPARED_AT_ONCE` at a
/// time on the available cores first, as a session does with frames that arrive together.
pub fn round_import(from: &TestNode, ns: &NeighbourhoodId, prepared: bool) -> Res<Duration> {
    let fresh = fresh_member(from, ns)?;
    let bundles = whole_documents(from, ns)?;
    partage::identity::forget_verified_signatures(); // as on a phone meeting them first (ADR 0021)
    let t = Instant::now();
    if prepared {
        for chunk in bundles.chunks(PREPARED_AT_ONCE) {
            let refs: Vec<&partage::DocBundle> = chunk.iter().collect();
            for (b, p) in chunk.iter().zip(fresh.node.prepare_whole_documents(&refs)) {
                fresh.node.import_prepared_unflushed(b, p)?;
            }
        }
    } else {
        for b in &bundles {
            fresh.node.import_bundle_unflushed(b)?;
        }
    }
    fresh.node.flush()?;
    Ok(t.elapsed())
}

/// A member who just joined through `from` and holds nothing else.
fn fresh_member(from: &TestNode, ns: &NeighbourhoodId) -> Res<TestNode> {
    let fresh = TestNode::new("Nouveau");
    fresh.node.join(&from.node.invite(ns, 1, 1, vec![])?)?;
    Ok(fresh)
}

/// Every document `from` holds in `ns`, whole.
fn whole_documents(from: &TestNode, ns: &NeighbourhoodId) -> Res<Vec<partage::DocBundle>> {
    Ok(from
        .node
        .doc_summaries(ns)?
        .into_iter()
        .map(|s| from.node.doc_bundle(ns, &s.owner, &[]))
        .collect::<Result<Vec<_>, _>>()?)
}
