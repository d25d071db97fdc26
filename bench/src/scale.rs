//! A neighbourhood at scale: M members (default 200) with I items each (default 50), so M member
//! documents; one node holding them all syncs them to a fresh member over libp2p on 127.0.0.1,
//! compared with automerge's own in-memory sync of the same documents.

use crate::floor::{self, Floor};
use crate::net::{self, FullSync};
use crate::stats::{Res, ratio};
use partage::NeighbourhoodId;
use partage_tests::{TestNode, push};
use partage_workload::{SEED, XorShift, draft};
use serde_json::{Value, json};

pub struct Scale {
    pub members: usize,
    pub items_per_member: usize,
    pub full_sync: FullSync,
    pub floor: Floor,
}

/// The founder holds every member's document: each member joins by ticket, adds its items in
/// one batch (`add_items`, durable) and pushes its document to the founder, then is dropped.
fn build(members: usize, per_member: usize) -> Res<(TestNode, NeighbourhoodId)> {
    let hub = TestNode::new("Voisin 1");
    let ns = hub.node.create_neighbourhood("Quartier des Lilas")?.id;
    let mut rng = XorShift(SEED);
    let mut drafts = |n: usize| (0..n).map(|_| draft(&mut rng)).collect::<Vec<_>>();
    hub.node.add_items(&ns, drafts(per_member))?;
    for m in 2..=members {
        let member = TestNode::new(&format!("Voisin {m}"));
        member.node.join(&hub.node.invite(&ns, 7, 1, vec![])?)?;
        member.node.add_items(&ns, drafts(per_member))?;
        push(&member.node, &hub.node, &ns);
    }
    Ok((hub, ns))
}

pub async fn measure(members: usize, per_member: usize, runs: usize) -> Res<Scale> {
    let (hub, ns) = build(members, per_member)?;
    // Before the sync: the fresh members' own documents would join the hub's.
    let floor = floor::measure(&hub.node, &ns)?;
    let (full_sync, synced) = net::full_sync(&hub.node, &ns, runs).await?;
    drop(synced.stop().await?);
    Ok(Scale { members, items_per_member: per_member, full_sync, floor })
}

impl Scale {
    pub fn json(&self) -> Value {
        json!({
            "workload": format!(
                "{} members x {} items ({} member documents, no loans), items added with add_items; a fresh member syncs everything over libp2p on 127.0.0.1",
                self.members, self.items_per_member, self.members
            ),
            "members": self.members,
            "items_per_member": self.items_per_member,
            "full_sync": self.full_sync.json(),
            "automerge_floor": self.floor.json(),
            "full_sync_time_vs_floor": ratio(self.full_sync.time_ms.median, self.floor.time_ms()),
            "bytes_vs_floor_sync": ratio(self.full_sync.received as f64, self.floor.sync_bytes as f64),
        })
    }

    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("scale: {} members x {} items", self.members, self.items_per_member),
            format!("  full sync (libp2p) {}", self.full_sync.line()),
            format!(
                "  automerge floor    {}; time {:.2}x the floor",
                self.floor.line(),
                ratio(self.full_sync.time_ms.median, self.floor.time_ms())
            ),
        ]
    }
}
