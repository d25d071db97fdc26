//! Ten nodes on 127.0.0.1: concurrent offline edits converge once they reconnect.

mod net_common;

use net_common::*;
use partage::ItemPatch;
use partage_tests::{draft, neighbourhood};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_ten_nodes_with_concurrent_offline_edits_converge() {
    let names = ["Ana", "Ben", "Céline", "Dario", "Emma", "Farid", "Gaëlle", "Hugo", "Inès", "Jules"];
    let (nodes, ns) = neighbourhood(&names);
    for (i, n) in nodes.iter().enumerate() {
        for k in 0..3 {
            n.node.add_item(&ns, draft(&format!("{} objet {k}", names[i]))).unwrap();
        }
    }
    let mut nets = Vec::new();
    for n in &nodes {
        nets.push(start(n).await);
    }
    // A ring plus a hub: every node reaches every other through someone.
    for i in 0..nets.len() {
        let next = (i + 1) % nets.len();
        nets[i].add_peer_addresses(vec![addr(&nets[next]).await]).await.unwrap();
        if i > 1 {
            nets[i].add_peer_addresses(vec![addr(&nets[0]).await]).await.unwrap();
        }
    }
    let all: Vec<&partage::Node> = nodes.iter().map(|t| &t.node).collect();
    converge(&all, &ns, 30).await;

    // Everyone goes offline and edits at the same time.
    for net in &nets {
        net.pause().await.unwrap();
    }
    let mut edits = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let node = n.node.clone();
        let name = names[i];
        edits.push(tokio::task::spawn_blocking(move || {
            let mine: Vec<_> = node
                .list_items(&partage::ItemFilter::default())
                .unwrap()
                .into_iter()
                .filter(|v| v.item.title.starts_with(&format!("{name} ")))
                .collect();
            let patch =
                ItemPatch { title: Some(format!("{name} objet 0 (révisé)")), ..ItemPatch::default() };
            let first = mine.iter().find(|v| v.item.title.ends_with(" 0")).unwrap();
            node.edit_item(&first.item.id, &patch).unwrap();
            let second = mine.iter().find(|v| v.item.title.ends_with(" 1")).unwrap();
            node.remove_item(&second.item.id).unwrap();
            node.add_item(&ns, draft(&format!("{name} objet 3"))).unwrap();
        }));
    }
    for e in edits {
        e.await.unwrap();
    }
    // Each sees only its own edits so far.
    assert!(titles(&nodes[0].node).contains(&"Ben objet 1".to_string()));

    for net in &nets {
        net.resume().await.unwrap();
    }
    converge(&all, &ns, 30).await;
    let expected: Vec<String> = {
        let mut t: Vec<String> = names
            .iter()
            .flat_map(|n| [format!("{n} objet 0 (révisé)"), format!("{n} objet 2"), format!("{n} objet 3")])
            .collect();
        t.sort();
        t
    };
    for n in &nodes {
        assert_eq!(titles(&n.node), expected);
    }
    // A sync round from any node now finds everyone in agreement.
    let report = nets[4].sync_now(WAIT).await.unwrap();
    assert!(report.complete(), "{report:?}");
    for net in &nets {
        net.stop().await.unwrap();
    }
}

/// Sixteen members dial one node at the same moment. libp2p-stream hands inbound streams over
/// through a channel of one and drops those that find it full, so some of the sixteen sessions
/// are lost when they all arrive together: the side that opened such a stream opens a fresh one
/// instead of dropping the connection, and everyone syncs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_many_members_dialing_one_node_at_once_all_sync() {
    let names: Vec<String> = (0..17).map(|i| format!("Voisin {i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (nodes, ns) = neighbourhood(&refs);
    for (i, n) in nodes.iter().enumerate() {
        n.node.add_item(&ns, draft(&format!("Objet de {}", names[i]))).unwrap();
    }
    let hub = start(&nodes[0]).await;
    let hub_addr = addr(&hub).await;
    let mut nets = Vec::new();
    for n in &nodes[1..] {
        nets.push(start(n).await);
    }
    // All at once: each dial is a command, answered before the connection is made.
    for net in &nets {
        net.add_peer_addresses(vec![hub_addr.clone()]).await.unwrap();
    }
    let all: Vec<&partage::Node> = nodes.iter().map(|t| &t.node).collect();
    converge(&all, &ns, 17).await;
    for net in nets {
        net.stop().await.unwrap();
    }
    hub.stop().await.unwrap();
}
