//! Convergence: `count` members share a small inventory, go offline, each makes `edits` edits
//! of its own item, then come back on 127.0.0.1 and sync until every node holds the same
//! documents. Either all dial the first node (a star), or each dials two earlier nodes (a mesh
//! in which most documents travel through relays).

use crate::net::{SYNC_TIMEOUT, address, start};
use crate::stats::{Res, Spread, ms};
use partage::{ItemPatch, NeighbourhoodId};
use partage_tests::{TestNode, draft, neighbourhood, push};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
pub enum Topology {
    /// Every node dials node 0.
    Star,
    /// Node i dials nodes i-1 and (i-1)/2: connected, each node dialed by at most 3 others,
    /// most pairs several hops apart.
    Mesh,
}

impl Topology {
    fn dials(self, i: usize) -> Vec<usize> {
        match self {
            Topology::Star => vec![0],
            Topology::Mesh => {
                let before = i.saturating_sub(1);
                let mut v = vec![before, before / 2];
                v.dedup();
                v
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Topology::Star => "every node dials the first",
            Topology::Mesh => "node i dials nodes i-1 and (i-1)/2",
        }
    }
}

pub struct Convergence {
    pub nodes: usize,
    pub edits: usize,
    pub topology: Topology,
    pub time_ms: Spread,
}

/// `runs` convergences of `count` fresh nodes.
pub async fn measure(count: usize, edits: usize, topology: Topology, runs: usize) -> Res<Convergence> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        times.push(once(count, edits, topology).await?);
    }
    Ok(Convergence { nodes: count, edits, topology, time_ms: Spread::of(&times) })
}

async fn once(count: usize, edits: usize, topology: Topology) -> Res<f64> {
    let names: Vec<String> = (1..=count).map(|i| format!("Membre {i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (nodes, ns) = neighbourhood(&refs);
    let (first, others) = nodes.split_first().ok_or("no members")?;
    let mut own = Vec::new();
    for n in &nodes {
        own.push(n.node.add_item(&ns, draft("Tente"))?.item.id);
    }
    for n in others {
        push(&n.node, &first.node, &ns);
    }
    for n in others {
        push(&first.node, &n.node, &ns);
    }
    for (n, id) in nodes.iter().zip(&own) {
        for k in 0..edits {
            let patch =
                ItemPatch { description: Some(format!("édition hors ligne {k}")), ..ItemPatch::default() };
            n.node.edit_item(id, &patch)?;
        }
    }
    let started = Instant::now();
    let mut nets = Vec::with_capacity(count);
    let mut addrs = Vec::with_capacity(count);
    for (i, n) in nodes.iter().enumerate() {
        let peers = if i == 0 {
            vec![]
        } else {
            topology.dials(i).into_iter().filter_map(|j| addrs.get(j).cloned()).collect()
        };
        let net = start(&n.node, peers).await?;
        addrs.push(address(&net).await?);
        nets.push(net);
    }
    let deadline = Instant::now() + SYNC_TIMEOUT;
    loop {
        let reference = first.node.doc_summaries(&ns)?;
        let mut same = reference.len() == count;
        for n in others {
            same = same && n.node.doc_summaries(&ns)? == reference;
        }
        if same {
            break;
        }
        if Instant::now() >= deadline {
            return Err(
                format!("nodes did not converge in time: {}", differences(first, others, &ns)?).into()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = ms(started.elapsed());
    for net in nets {
        net.stop().await?;
    }
    Ok(elapsed)
}

/// Which documents differ from the first node's, node by node (for the error message).
fn differences(first: &TestNode, others: &[TestNode], ns: &NeighbourhoodId) -> Res<String> {
    let reference = first.node.doc_summaries(ns)?;
    let mut out = Vec::new();
    for (i, n) in others.iter().enumerate() {
        let mine = n.node.doc_summaries(ns)?;
        for d in &reference {
            if !mine.contains(d) {
                let standing = !n.node.is_revoked(ns, &d.owner)?;
                out.push(format!("node {} lacks {} (standing there: {standing})", i + 1, d.owner.short()));
            }
        }
        for d in &mine {
            if !reference.contains(d) {
                let standing = !first.node.is_revoked(ns, &d.owner)?;
                out.push(format!(
                    "node {} has {} unlike the first (standing at the first: {standing})",
                    i + 1,
                    d.owner.short()
                ));
            }
        }
    }
    Ok(out.join("; "))
}

impl Convergence {
    pub fn json(&self) -> Value {
        json!({
            "nodes": self.nodes,
            "edits_per_node": self.edits,
            "topology": self.topology.name(),
            "time_ms": self.time_ms.json(),
        })
    }

    pub fn line(&self) -> String {
        format!(
            "{} nodes x {} edits ({}): {}",
            self.nodes,
            self.edits,
            self.topology.name(),
            self.time_ms.show("ms")
        )
    }
}
