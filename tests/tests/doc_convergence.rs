//! Property test at the document layer: three devices of the same member edit one document
//! concurrently, sign their changes, and exchange them in random orders through verification.
//! All end with the same items.

use partage::attest::{Attestation, trusted_devices, verify_changes};
use partage::doc::MemberDoc;
use partage::identity::{DeviceCert, Identity, SecretKey};
use partage::{DeviceId, Item, ItemDraft, ItemId, NeighbourhoodId};
use proptest::prelude::*;

struct Device {
    identity: Identity,
    doc: MemberDoc,
    attestations: Vec<Attestation>,
}

#[derive(Clone, Debug)]
enum Op {
    Put { dev: usize, slot: u8, title: u8, available: bool },
    Remove { dev: usize, slot: u8 },
    Exchange { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..4u8, 0..5u8, any::<bool>()).prop_map(|(dev, slot, title, available)| Op::Put { dev, slot, title, available }),
        1 => (0..3usize, 0..4u8).prop_map(|(dev, slot)| Op::Remove { dev, slot }),
        3 => (0..3usize, 0..3usize).prop_map(|(from, to)| Op::Exchange { from, to }),
    ]
}

fn devices(ns: &NeighbourhoodId) -> Vec<Device> {
    let member_key = SecretKey::generate().unwrap();
    let identities: Vec<Identity> = (0..3)
        .map(|_| {
            let device_key = SecretKey::generate().unwrap();
            let device_cert = DeviceCert::issue(&member_key, DeviceId(device_key.public()), 1);
            Identity { member_key: Some(member_key.clone()), device_key, device_cert, name: "Ada".into() }
        })
        .collect();
    let (mut first, genesis) = MemberDoc::create(identities[0].device_id(), "Ada").unwrap();
    let att = Attestation::sign(&identities[0].device_key, ns, &identities[0].member_id(), &genesis.hash());
    let snapshot = first.save();
    let mut out =
        vec![Device { identity: identities[0].clone(), doc: first, attestations: vec![att.clone()] }];
    for identity in &identities[1..] {
        let mut doc = MemberDoc::load(Some(&snapshot), vec![]).unwrap();
        doc.set_device(identity.device_id());
        out.push(Device { identity: identity.clone(), doc, attestations: vec![att.clone()] });
    }
    out
}

fn exchange(devs: &mut [Device], from: usize, to: usize, ns: &NeighbourhoodId) {
    if from == to {
        return;
    }
    let changes = devs[from].doc.changes_since(&[]);
    let atts = devs[from].attestations.clone();
    let owner = devs[to].identity.member_id();
    let certs: Vec<DeviceCert> = devs.iter().map(|d| d.identity.device_cert.clone()).collect();
    let trusted = trusted_devices(&owner, &certs).unwrap();
    let target = &mut devs[to];
    let known: std::collections::HashSet<_> =
        changes.iter().map(|c| c.hash()).filter(|h| target.doc.has_change(h)).collect();
    let used = verify_changes(ns, &owner, &trusted, &atts, &changes, |h| known.contains(h)).unwrap();
    target.doc.apply_verified(changes).unwrap();
    target.attestations.extend(used);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_devices_converge(ops in prop::collection::vec(op(), 1..60), order in Just(vec![0usize, 1, 2]).prop_shuffle()) {
        let ns = NeighbourhoodId([7; 32]);
        let mut devs = devices(&ns);
        let owner = devs[0].identity.member_id();
        for op in ops {
            match op {
                Op::Put { dev, slot, title, available } => {
                    let d = &mut devs[dev];
                    let draft = ItemDraft { title: format!("Objet {title}"), ..ItemDraft::default() };
                    let nonce = [slot; 16];
                    let mut item: Item = draft.into_item(ItemId::bound(&ns, &owner, &nonce), ns, owner, 10).unwrap();
                    item.available = available;
                    let written = if d.doc.item(item.id, ns, owner).is_some() {
                        d.doc.put_item(&item).unwrap()
                    } else {
                        d.doc.create_item(&item, &nonce).unwrap()
                    };
                    if let Some(change) = written {
                        d.attestations.push(Attestation::sign(&d.identity.device_key, &ns, &owner, &change.hash()));
                    }
                }
                Op::Remove { dev, slot } => {
                    let d = &mut devs[dev];
                    if let Some(change) = d.doc.remove_item(ItemId::bound(&ns, &owner, &[slot; 16])).unwrap() {
                        d.attestations.push(Attestation::sign(&d.identity.device_key, &ns, &owner, &change.hash()));
                    }
                }
                Op::Exchange { from, to } => exchange(&mut devs, from, to, &ns),
            }
        }
        for _ in 0..2 {
            for &a in &order {
                for &b in &order {
                    exchange(&mut devs, a, b, &ns);
                }
            }
        }
        let mut heads = devs[0].doc.heads();
        heads.sort();
        let mut reference = devs[0].doc.items(ns, owner);
        reference.sort_by_key(|i| i.id);
        for d in &mut devs[1..] {
            let mut items = d.doc.items(ns, owner);
            items.sort_by_key(|i| i.id);
            prop_assert_eq!(&items, &reference);
            let mut theirs = d.doc.heads();
            theirs.sort();
            prop_assert_eq!(&theirs, &heads);
        }
    }
}
