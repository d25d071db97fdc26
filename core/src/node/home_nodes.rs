//! Home nodes this device has synced with (ADR 0019), kept so that the invites it makes carry
//! their addresses: a joiner who never shares a LAN with anyone still finds the neighbourhood.
//! Kept apart from the remembered peers (their own table), bounded, for the neighbourhoods each
//! proved membership of.

use super::Node;
use crate::clock::now_ms;
use crate::error::Result;
use crate::ids::{DeviceId, NeighbourhoodId};
use crate::store::{decode, encode};
use redb::TableDefinition;
use serde::{Deserialize, Serialize};

const HOME_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("net_home_nodes");
/// Home nodes kept at once (the ones seen longest ago are forgotten first).
pub const MAX_HOME_NODES: usize = 8;
/// Addresses kept per home node, and put in one invite from all home nodes together.
pub const MAX_HOME_NODE_ADDRS: usize = 4;
const MAX_ADDR_LEN: usize = 256;
/// Neighbourhoods kept per home node.
const MAX_NEIGHBOURHOODS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct HomeNodeRecord {
    device: DeviceId,
    addrs: Vec<String>,
    neighbourhoods: Vec<NeighbourhoodId>,
    last_seen_ms: u64,
}

impl Node {
    /// Remembers that `device`, a home node, was reached at `addrs` (each ending in its peer
    /// id, most useful first) and serves `neighbourhoods`.
    pub fn remember_home_node(
        &self,
        device: &DeviceId,
        addrs: &[String],
        neighbourhoods: &[NeighbourhoodId],
    ) -> Result<()> {
        let st = self.lock()?;
        let mut all: Vec<HomeNodeRecord> =
            st.store.rows(HOME_NODES)?.iter().map(|(_, v)| decode(v, "home node")).collect::<Result<_>>()?;
        all.retain(|r| r.device != *device);
        let record = HomeNodeRecord {
            device: *device,
            addrs: addrs
                .iter()
                .filter(|a| a.len() <= MAX_ADDR_LEN)
                .take(MAX_HOME_NODE_ADDRS)
                .cloned()
                .collect(),
            neighbourhoods: neighbourhoods.iter().take(MAX_NEIGHBOURHOODS).copied().collect(),
            last_seen_ms: now_ms(),
        };
        all.sort_by_key(|r| std::cmp::Reverse(r.last_seen_ms));
        let evict: Vec<DeviceId> =
            all.iter().skip(MAX_HOME_NODES.saturating_sub(1)).map(|r| r.device).collect();
        st.store.write(|w| {
            let mut table = w.txn.open_table(HOME_NODES)?;
            for d in &evict {
                table.remove(d.0.as_slice())?;
            }
            table.insert(device.0.as_slice(), encode(&record)?.as_slice())?;
            Ok(())
        })
    }

    /// Addresses of the home nodes known to serve `ns`, most recently seen first (at most
    /// [`MAX_HOME_NODE_ADDRS`] in all): what [`Node::invite`] adds to its tickets.
    pub fn home_node_addresses(&self, ns: &NeighbourhoodId) -> Result<Vec<String>> {
        let st = self.lock()?;
        home_node_addresses(&st.store, ns)
    }
}

pub(super) fn home_node_addresses(store: &crate::store::Store, ns: &NeighbourhoodId) -> Result<Vec<String>> {
    let mut all: Vec<HomeNodeRecord> =
        store.rows(HOME_NODES)?.iter().map(|(_, v)| decode(v, "home node")).collect::<Result<_>>()?;
    all.sort_by_key(|r| std::cmp::Reverse(r.last_seen_ms));
    Ok(all
        .into_iter()
        .filter(|r| r.neighbourhoods.contains(ns))
        .flat_map(|r| r.addrs)
        .take(MAX_HOME_NODE_ADDRS)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_nodes_are_bounded_kept_per_neighbourhood_and_go_into_invites() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::open(dir.path()).unwrap();
        node.init("Alice").unwrap();
        let ns = node.create_neighbourhood("Rue des Lilas").unwrap().id;
        let other = node.create_neighbourhood("Rue des Roses").unwrap().id;
        for i in 0..(MAX_HOME_NODES as u8 + 3) {
            let addrs: Vec<String> = (0..6).map(|j| format!("/ip4/10.0.{i}.{j}/tcp/4001")).collect();
            node.remember_home_node(&DeviceId([i; 32]), &addrs, &[ns]).unwrap();
        }
        let st = node.lock().unwrap();
        assert_eq!(st.store.rows(HOME_NODES).unwrap().len(), MAX_HOME_NODES);
        drop(st);
        let kept = node.home_node_addresses(&ns).unwrap();
        assert_eq!(kept.len(), MAX_HOME_NODE_ADDRS);
        assert!(node.home_node_addresses(&other).unwrap().is_empty());
        let ticket =
            crate::ticket::InviteTicket::decode(&node.invite(&ns, 7, 1, vec![]).unwrap(), now_ms()).unwrap();
        assert_eq!(ticket.addrs, kept, "the invite carries the home nodes");
    }
}
