//! One person, several devices: a tablet linked to Alice's identity by a link code. Both edit
//! offline, converge with every peer; a loan accepted on both at once shows the conflict on every
//! replica; a revoked device's later edits are refused. Played without the network (the code's
//! secret is presented directly); `net_device_link.rs` does it over libp2p.

use partage::clock::{format_day, today};
use partage::identity::SecretKey;
use partage::link::LinkCode;
use partage::{DeviceId, Error, ErrorKind, ItemDraft, ItemFilter, LinkError, Node};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};

/// A new, empty data directory linked to `from`'s identity.
fn link(from: &Node, full_transfer: bool) -> (TestNode, SecretKey) {
    let code = LinkCode::decode(&from.offer_link(full_transfer, vec![]).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path()).unwrap();
    let key = SecretKey::generate().unwrap();
    let grant = from.grant_link(&code.secret, DeviceId(key.public())).unwrap();
    node.accept_link(&code, &key, grant).unwrap();
    (TestNode { node, dir }, key)
}

fn titles(n: &Node) -> Vec<String> {
    let mut t: Vec<String> =
        n.list_items(&ItemFilter::default()).unwrap().into_iter().map(|i| i.item.title).collect();
    t.sort();
    t
}

#[test]
fn two_devices_of_one_member_edit_offline_and_converge_with_every_peer() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let drill = nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    sync_all(&nodes, &ns);
    let (tablet, _) = link(&nodes[0].node, false);
    let (alice, tablet_node) = (&nodes[0].node, &tablet.node);
    assert_eq!(tablet_node.identity().unwrap().unwrap().member, alice.identity().unwrap().unwrap().member);
    assert_ne!(tablet_node.identity().unwrap().unwrap().device, alice.identity().unwrap().unwrap().device);
    assert_eq!(titles(tablet_node), vec!["Perceuse"]);
    assert_eq!(alice.devices().unwrap().len(), 2);
    assert_eq!(tablet_node.devices().unwrap().len(), 2);
    assert!(tablet_node.devices().unwrap()[0].is_this_device);

    // Offline from each other: both add, both edit the same item (different fields).
    tablet_node.add_item(&ns, draft("Tente")).unwrap();
    alice.add_item(&ns, draft("Échelle")).unwrap();
    tablet_node
        .edit_item(
            &drill,
            &partage::ItemPatch { description: Some("Avec mèches".into()), ..Default::default() },
        )
        .unwrap();
    alice
        .edit_item(&drill, &partage::ItemPatch { title: Some("Perceuse Bosch".into()), ..Default::default() })
        .unwrap();

    nodes.push(tablet);
    sync_all(&nodes, &ns);
    for n in &nodes {
        assert_eq!(titles(&n.node), vec!["Perceuse Bosch", "Tente", "Échelle"]);
        let d = n.node.item(&drill).unwrap();
        assert_eq!(d.item.description, "Avec mèches");
    }
    // The tablet's items are Alice's on every replica.
    let alice_id = nodes[0].node.identity().unwrap().unwrap().member;
    let tent = nodes[1].node.list_items(&ItemFilter::default()).unwrap();
    assert!(tent.iter().all(|i| i.item.owner == alice_id));
}

#[test]
fn a_loan_accepted_on_both_devices_at_once_shows_the_conflict_everywhere() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let drill = nodes[0]
        .node
        .add_item(&ns, ItemDraft { max_loan_days: Some(7), ..draft("Perceuse") })
        .unwrap()
        .item
        .id;
    sync_all(&nodes, &ns);
    let (tablet, _) = link(&nodes[0].node, false);
    nodes.push(tablet);
    let day = |d| format_day(today() + d);
    let for_bob = nodes[1].node.request_loan(&drill, &day(1), &day(3), "").unwrap();
    let for_chloe = nodes[2].node.request_loan(&drill, &day(2), &day(4), "").unwrap();
    sync_all(&nodes, &ns);
    // The phone and the tablet, offline from each other, each accept one of the overlapping requests.
    nodes[0].node.accept_loan(&for_bob.id, "").unwrap();
    nodes[3].node.accept_loan(&for_chloe.id, "").unwrap();
    sync_all(&nodes, &ns);
    for n in &nodes {
        let a = n.node.loan(&for_bob.id).unwrap();
        let b = n.node.loan(&for_chloe.id).unwrap();
        assert_eq!(u8::from(a.conflict) + u8::from(b.conflict), 1, "exactly one loser on every replica");
        assert_eq!(
            a.conflict,
            nodes[0].node.loan(&for_bob.id).unwrap().conflict,
            "the same loser everywhere"
        );
    }
}

#[test]
fn a_revoked_linked_devices_later_edits_are_refused() {
    let (mut nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (tablet, key) = link(&nodes[0].node, false);
    nodes.push(tablet);
    nodes[2].node.add_item(&ns, draft("Avant")).unwrap();
    sync_all(&nodes, &ns);
    nodes[0].node.revoke_device(&DeviceId(key.public())).unwrap();
    push(&nodes[0].node, &nodes[1].node, &ns);
    // The stolen tablet keeps writing: Bob refuses it.
    nodes[2].node.add_item(&ns, draft("Après")).unwrap();
    let theirs = nodes[1].node.doc_summaries(&ns).unwrap();
    let me = nodes[0].node.identity().unwrap().unwrap().member;
    let have = theirs.iter().find(|s| s.owner == me).unwrap().heads.clone();
    let bundle = nodes[2].node.doc_bundle(&ns, &me, &have).unwrap();
    assert!(nodes[1].node.import_bundle(&bundle).is_err());
    assert_eq!(titles(&nodes[1].node), vec!["Avant"]);
    assert!(nodes[0].node.devices().unwrap().iter().any(|d| d.device == DeviceId(key.public()) && d.revoked));
}

#[test]
fn a_linked_device_holds_no_member_key_unless_a_full_transfer_was_asked() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0].node;
    let secrets = alice.export_data().unwrap();
    let member_hex = hex::encode(secrets.identity.member_secret.unwrap());
    let root_hex = hex::encode(secrets.neighbourhoods[0].root_secret.unwrap());

    let (tablet, _) = link(alice, false);
    let stored = std::fs::read(tablet.dir.path().join(partage::node::STORE_FILE)).unwrap();
    let exported = serde_json::to_string(&tablet.node.export_data().unwrap()).unwrap();
    for text in [&member_hex, &root_hex] {
        assert!(!exported.contains(text.as_str()));
        assert!(!stored.windows(32).any(|w| hex::encode(w) == *text));
    }
    // What needs the member key says so.
    let e = tablet.node.invite(&ns, 7, 1, vec![]).unwrap_err();
    assert!(matches!(e, Error::NoMemberKey) && e.kind() == ErrorKind::NotAllowed, "{e}");
    assert!(matches!(tablet.node.revoke_device(&DeviceId([9; 32])), Err(Error::NoMemberKey)));
    assert!(matches!(tablet.node.offer_link(false, vec![]), Err(Error::NoMemberKey)));

    // Changing phones: the full transfer carries the member key and the admin key.
    let (phone, _) = link(alice, true);
    phone.node.invite(&ns, 7, 1, vec![]).unwrap();
    let exported = serde_json::to_string(&phone.node.export_data().unwrap()).unwrap();
    assert!(exported.contains(&member_hex) && exported.contains(&root_hex));
}

#[test]
fn a_link_code_works_once_with_its_secret_only_and_not_after_expiry() {
    let (nodes, _ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0].node;
    let code = LinkCode::decode(&alice.offer_link(false, vec![]).unwrap()).unwrap();
    let device = DeviceId(SecretKey::generate().unwrap().public());
    // A wrong secret: refused, and the real code still works afterwards.
    let guess = alice.grant_link(&[7; 32], device);
    assert!(matches!(guess, Err(Error::Link(LinkError::NotOffered))));
    alice.grant_link(&code.secret, device).unwrap();
    // Used: a second device (or a replay) gets nothing.
    let other = DeviceId(SecretKey::generate().unwrap().public());
    assert!(matches!(alice.grant_link(&code.secret, other), Err(Error::Link(LinkError::NotOffered))));
    // Expired by the offering device's clock.
    let code = LinkCode::decode(&alice.offer_link(false, vec![]).unwrap()).unwrap();
    alice.shift_clock_days(1).unwrap();
    assert!(matches!(alice.grant_link(&code.secret, other), Err(Error::Link(LinkError::NotOffered))));
    alice.shift_clock_days(0).unwrap();
    assert!(!alice.link_offered().unwrap(), "an expired code is withdrawn");
    // A grant for another device key is refused by the new device.
    let code = LinkCode::decode(&alice.offer_link(false, vec![]).unwrap()).unwrap();
    let grant = alice.grant_link(&code.secret, other).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fresh = Node::open(dir.path()).unwrap();
    let wrong_key = SecretKey::generate().unwrap();
    assert!(matches!(fresh.accept_link(&code, &wrong_key, grant), Err(Error::Link(LinkError::Mismatch))));
    assert!(fresh.identity().unwrap().is_none());
}

#[test]
fn linking_needs_an_empty_data_directory() {
    let (nodes, _ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0].node;
    let code = LinkCode::decode(&alice.offer_link(false, vec![]).unwrap()).unwrap();
    let key = SecretKey::generate().unwrap();
    let grant = alice.grant_link(&code.secret, DeviceId(key.public())).unwrap();
    let bob = &nodes[1].node;
    assert!(matches!(bob.accept_link(&code, &key, grant), Err(Error::Link(LinkError::NotEmpty))));
}
