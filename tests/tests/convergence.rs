//! Property tests: replicas that exchange changes in random orders end with identical read
//! models, and reopening the store after any operation restores the same state.

use partage::{ItemFilter, ItemId, ItemPatch, NeighbourhoodId};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};
use proptest::prelude::*;

const TITLES: &[&str] =
    &["Perceuse", "Échelle double", "Tente 4 places", "Raclette", "Scie", "Tondeuse", "Vélo cargo"];

#[derive(Clone, Debug)]
enum Op {
    Add { who: usize, title: usize },
    Edit { who: usize, pick: usize, title: usize },
    Toggle { who: usize, pick: usize },
    Remove { who: usize, pick: usize },
    Rename { who: usize, title: usize },
    Push { from: usize, to: usize },
}

fn op(nodes: usize) -> impl Strategy<Value = Op> {
    let who = 0..nodes;
    prop_oneof![
        3 => (who.clone(), 0..TITLES.len()).prop_map(|(who, title)| Op::Add { who, title }),
        2 => (who.clone(), any::<usize>(), 0..TITLES.len()).prop_map(|(who, pick, title)| Op::Edit { who, pick, title }),
        1 => (who.clone(), any::<usize>()).prop_map(|(who, pick)| Op::Toggle { who, pick }),
        1 => (who.clone(), any::<usize>()).prop_map(|(who, pick)| Op::Remove { who, pick }),
        1 => (who.clone(), 0..TITLES.len()).prop_map(|(who, title)| Op::Rename { who, title }),
        3 => (who.clone(), who).prop_map(|(from, to)| Op::Push { from, to }),
    ]
}

/// One of `who`'s own items, chosen by `pick`.
fn own_item(n: &TestNode, pick: usize) -> Option<ItemId> {
    let me = n.node.identity().unwrap()?.member;
    let mine: Vec<ItemId> = n.items().into_iter().filter(|v| v.item.owner == me).map(|v| v.item.id).collect();
    (!mine.is_empty()).then(|| mine[pick % mine.len()])
}

fn apply(nodes: &[TestNode], ns: &NeighbourhoodId, op: &Op) {
    match *op {
        Op::Add { who, title } => {
            nodes[who].node.add_item(ns, draft(TITLES[title])).unwrap();
        }
        Op::Edit { who, pick, title } => {
            if let Some(id) = own_item(&nodes[who], pick) {
                let patch =
                    ItemPatch { title: Some(format!("{} v2", TITLES[title])), ..ItemPatch::default() };
                nodes[who].node.edit_item(&id, &patch).unwrap();
            }
        }
        Op::Toggle { who, pick } => {
            if let Some(id) = own_item(&nodes[who], pick) {
                let available = nodes[who].node.item(&id).unwrap().item.available;
                nodes[who].node.set_available(&id, !available).unwrap();
            }
        }
        Op::Remove { who, pick } => {
            if let Some(id) = own_item(&nodes[who], pick) {
                nodes[who].node.remove_item(&id).unwrap();
            }
        }
        Op::Rename { who, title } => nodes[who].node.set_name(TITLES[title]).unwrap(),
        Op::Push { from, to } => {
            if from != to {
                push(&nodes[from].node, &nodes[to].node, ns);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn three_replicas_converge(
        ops in prop::collection::vec(op(3), 1..40),
        final_order in Just(vec![(0usize, 1usize), (1, 2), (2, 0), (0, 2), (2, 1), (1, 0)]).prop_shuffle(),
    ) {
        let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
        for op in &ops {
            apply(&nodes, &ns, op);
        }
        for (from, to) in final_order {
            push(&nodes[from].node, &nodes[to].node, &ns);
        }
        sync_all(&nodes, &ns);
        let reference = nodes[0].items();
        let members = nodes[0].node.members(&ns).unwrap();
        let names: Vec<_> = members.iter().map(|m| (m.member, m.name.clone())).collect();
        for n in &nodes[1..] {
            prop_assert_eq!(&n.items(), &reference);
            let theirs: Vec<_> = n.node.members(&ns).unwrap().iter().map(|m| (m.member, m.name.clone())).collect();
            prop_assert_eq!(&theirs, &names);
            prop_assert_eq!(n.node.doc_summaries(&ns).unwrap(), nodes[0].node.doc_summaries(&ns).unwrap());
        }
        // The incrementally maintained read model equals a full re-read of the documents.
        let file = nodes[1].dir.path().join("check.json");
        nodes[1].node.export_to_file(&file).unwrap();
        let fresh_dir = tempfile::tempdir().unwrap();
        let fresh = partage::Node::open(fresh_dir.path()).unwrap();
        fresh.import_from_file(&file).unwrap();
        prop_assert_eq!(&fresh.list_items(&ItemFilter::default()).unwrap(), &reference);
        prop_assert_eq!(fresh.doc_summaries(&ns).unwrap(), nodes[1].node.doc_summaries(&ns).unwrap());
        // Search agrees with the list on every replica.
        for n in &nodes {
            let found = n.node.search("perceuse", &ItemFilter::default()).unwrap();
            let expected: Vec<_> = reference.iter().filter(|v| v.item.title.starts_with("Perceuse")).cloned().collect();
            prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn reopen_after_every_operation_restores_the_same_state(ops in prop::collection::vec(op(2), 1..16)) {
        let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
        for op in &ops {
            apply(&nodes, &ns, op);
            for slot in 0..nodes.len() {
                let n = nodes.remove(slot);
                let before = (n.items(), n.node.neighbourhoods().unwrap(), n.node.members(&ns).unwrap(), n.node.doc_summaries(&ns).unwrap());
                let n = n.reopen();
                let after = (n.items(), n.node.neighbourhoods().unwrap(), n.node.members(&ns).unwrap(), n.node.doc_summaries(&ns).unwrap());
                prop_assert_eq!(before, after);
                nodes.insert(slot, n);
            }
        }
    }
}
