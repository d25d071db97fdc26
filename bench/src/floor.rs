//! The floor: the same documents synced in memory with automerge's own sync protocol, no
//! network, no signatures, no store. Partage's numbers are compared against this.

use crate::stats::{Res, ms};
use automerge::AutoCommit;
use automerge::sync::{State, SyncDoc};
use partage::{DocPayload, NeighbourhoodId, Node};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct Floor {
    pub docs: usize,
    pub saved_bytes: usize,
    pub sync_bytes: usize,
    pub messages: usize,
    pub time: Duration,
}

impl Floor {
    pub fn json(&self) -> Value {
        json!({
            "documents": self.docs,
            "saved_bytes": self.saved_bytes,
            "sync_bytes": self.sync_bytes,
            "messages": self.messages,
            "time_ms": ms(self.time),
        })
    }

    pub fn time_ms(&self) -> f64 {
        ms(self.time)
    }

    pub fn line(&self) -> String {
        format!(
            "{:.1} ms, {} B in {} messages for {} documents (saved size {} B)",
            ms(self.time),
            self.sync_bytes,
            self.messages,
            self.docs,
            self.saved_bytes
        )
    }
}

/// Syncs every member document `node` holds in `ns` into empty documents.
pub fn measure(node: &Node, ns: &NeighbourhoodId) -> Res<Floor> {
    let mut floor = Floor { docs: 0, saved_bytes: 0, sync_bytes: 0, messages: 0, time: Duration::ZERO };
    for summary in node.doc_summaries(ns)? {
        let bundle = node.doc_bundle(ns, &summary.owner, &[])?;
        let DocPayload::Snapshot(bytes) = bundle.payload else { continue };
        floor.docs += 1;
        floor.saved_bytes += bytes.len();
        let source = AutoCommit::load(&bytes)?;
        let started = Instant::now();
        let (bytes, messages) = sync_to_empty(source)?;
        floor.time += started.elapsed();
        floor.sync_bytes += bytes;
        floor.messages += messages;
    }
    Ok(floor)
}

/// Runs automerge's sync protocol between `a` and an empty document until both are quiet;
/// (bytes, messages) exchanged.
pub fn sync_to_empty(mut a: AutoCommit) -> Res<(usize, usize)> {
    let mut b = AutoCommit::new();
    let (mut sa, mut sb) = (State::new(), State::new());
    let (mut bytes, mut messages) = (0, 0);
    loop {
        let mut quiet = true;
        if let Some(m) = a.sync().generate_sync_message(&mut sa) {
            let encoded = m.encode();
            bytes += encoded.len();
            messages += 1;
            quiet = false;
            let m = automerge::sync::Message::decode(&encoded)?;
            b.sync().receive_sync_message(&mut sb, m)?;
        }
        if let Some(m) = b.sync().generate_sync_message(&mut sb) {
            let encoded = m.encode();
            bytes += encoded.len();
            messages += 1;
            quiet = false;
            let m = automerge::sync::Message::decode(&encoded)?;
            a.sync().receive_sync_message(&mut sa, m)?;
        }
        if quiet {
            return Ok((bytes, messages));
        }
    }
}
