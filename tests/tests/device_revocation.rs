//! A member revokes a lost phone: from then on, every replica that has the revocation refuses
//! what that device signs, and the device can no longer prove membership. Played by an attacker
//! holding the stolen device key (which the member certified earlier).

mod forged;

use partage::attest::Attestation;
use partage::identity::{DeviceCert, SecretKey};
use partage::node::MembershipProof;
use partage::{
    DeviceId, DocBundle, DocPayload, Error, ItemFilter, MemberId, NeighbourhoodId, Node, VerifyError,
};
use partage_tests::{draft, neighbourhood, push, sync_all};

fn member(n: &Node) -> MemberId {
    n.identity().unwrap().unwrap().member
}

/// A change to `owner`'s document as `holder` has it, adding an item titled `title`, signed by
/// `device` (with its certificate in the bundle).
fn item_by_device(
    holder: &Node,
    ns: &NeighbourhoodId,
    owner: &MemberId,
    device: &SecretKey,
    cert: &DeviceCert,
    title: &str,
) -> DocBundle {
    let forged::Extended { base, mut doc, head } = forged::with_item(holder, ns, owner, title);
    let change = doc.get_change_by_hash(&head).unwrap();
    let mut devices = base.devices.clone();
    devices.push(cert.clone());
    DocBundle {
        payload: DocPayload::Changes(vec![change.raw_bytes().to_vec()]),
        attestations: vec![Attestation::sign(device, ns, owner, &head)],
        devices,
        ..base
    }
}

fn titles(n: &Node) -> Vec<String> {
    let mut t: Vec<String> =
        n.list_items(&ItemFilter::default()).unwrap().into_iter().map(|i| i.item.title).collect();
    t.sort();
    t
}

#[test]
fn a_revoked_devices_later_changes_are_refused_on_every_replica() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    sync_all(&nodes, &ns);
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    let me = member(alice);
    // Alice's phone: a second device she certified with her member key.
    let member_key = SecretKey::from_bytes(&alice.export_data().unwrap().identity.member_secret.unwrap());
    let phone = SecretKey::generate().unwrap();
    let phone_id = DeviceId(phone.public());
    let cert = DeviceCert::issue(&member_key, phone_id, 1);

    // While trusted, what the phone signs is accepted everywhere.
    let before = item_by_device(alice, &ns, &me, &phone, &cert, "Tablette");
    for n in [alice, bob, chloe] {
        n.import_bundle(&before).unwrap();
    }
    assert_eq!(titles(bob), ["Tablette"]);
    let proof = MembershipProof {
        chain: alice.membership_proof(&ns).unwrap().chain,
        device: cert.clone(),
        admissions: Vec::new(),
    };
    assert_eq!(bob.verify_peer_membership(&ns, &proof, &phone_id).unwrap(), me);

    // The phone is stolen; Alice revokes it from her other device, which syncs with Bob and
    // Bob with Chloé (the revocation travels with her document).
    assert!(matches!(
        alice.revoke_device(&alice.identity().unwrap().unwrap().device),
        Err(Error::Invalid(_))
    ));
    alice.revoke_device(&phone_id).unwrap();
    push(alice, bob, &ns);
    push(bob, chloe, &ns);

    // The thief signs a new item with the phone: refused on every replica, with the reason.
    let after = item_by_device(bob, &ns, &me, &phone, &cert, "Volé");
    for n in [alice, bob, chloe] {
        let err = n.import_bundle(&after).unwrap_err();
        assert!(matches!(err, Error::Rejected(VerifyError::RevokedDevice { .. })), "{err}");
        assert!(err.to_string().contains("revoked"), "{err}");
        assert_eq!(titles(n), ["Tablette"], "nothing of the stolen phone's later change applied");
    }
    // Nor can the phone prove membership any more.
    assert!(bob.verify_peer_membership(&ns, &proof, &phone_id).is_err());
    assert!(chloe.verify_peer_membership(&ns, &proof, &phone_id).is_err());
    // Alice's own device goes on as before.
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    push(alice, bob, &ns);
    push(bob, chloe, &ns);
    assert_eq!(titles(chloe), ["Perceuse", "Tablette"]);
}
