//! The offline exchange between real nodes (redb in temporary directories), the network's
//! bundle rules, and hostile sync files, each refused with its own typed error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use partage::sync::envelope::{self, FORMAT_VERSION, Kind, MAX_SUMMARY_BYTES};
use partage::sync::wire::{MAX_SUMMARY_DOCS, WireBundles, WireSummary};
use partage::{DocPayload, EnvelopeError, Error, ItemDraft, ItemFilter, MemberId};

fn draft(title: &str) -> ItemDraft {
    ItemDraft { title: title.into(), ..ItemDraft::default() }
}

fn file_error(r: partage::Result<impl std::fmt::Debug>) -> EnvelopeError {
    match r {
        Err(Error::SyncFile(e)) => e,
        other => panic!("expected a sync file error, got {other:?}"),
    }
}

#[test]
fn two_nodes_converge_through_files_alone() {
    let (alice, bob, ns) = pair();
    alice.add_item(&ns, draft("Perceuse")).unwrap();
    bob.add_item(&ns, draft("Échelle")).unwrap();
    let reports = transfer(&alice, &bob, &ns);
    assert_eq!(reports.iter().map(|r| r.items_changed).sum::<usize>(), 1);
    transfer(&bob, &alice, &ns);
    let all = ItemFilter::default();
    let titles = |n: &partage::Node| {
        let mut t: Vec<String> = n.list_items(&all).unwrap().into_iter().map(|i| i.item.title).collect();
        t.sort();
        t
    };
    assert_eq!(titles(&alice), ["Perceuse", "Échelle"]);
    assert_eq!(titles(&alice), titles(&bob));
    assert_eq!(alice.doc_summaries(&ns).unwrap(), bob.doc_summaries(&ns).unwrap());
    assert_eq!(alice.members(&ns).unwrap().len(), 2);
    // In step: nothing is left to send either way.
    assert!(transfer(&alice, &bob, &ns).is_empty());
    assert!(transfer(&bob, &alice, &ns).is_empty());
}

#[test]
fn bundle_beyond_follows_the_network_rules() {
    let (alice, bob, ns) = pair();
    let bob_id = bob.identity().unwrap().unwrap().member;
    let heads = |n: &partage::Node| {
        n.doc_summaries(&ns).unwrap().into_iter().find(|d| d.owner == bob_id).unwrap().heads
    };
    let before = heads(&bob);
    bob.add_item(&ns, draft("Tondeuse")).unwrap();
    let after = heads(&bob);

    // Not a document I serve: nothing.
    assert_eq!(bob.bundle_beyond(&ns, &MemberId([9; 32]), &[]).unwrap(), None);
    // The peer has none of it: the whole document.
    let whole = bob.bundle_beyond(&ns, &bob_id, &[]).unwrap().unwrap();
    assert!(matches!(whole.payload, DocPayload::Snapshot(_)));
    // The peer is behind: only the new changes.
    let newer = bob.bundle_beyond(&ns, &bob_id, &before).unwrap().unwrap();
    assert!(matches!(&newer.payload, DocPayload::Changes(c) if !c.is_empty()));
    // The peer has everything: nothing.
    assert_eq!(bob.bundle_beyond(&ns, &bob_id, &after).unwrap(), None);
    // The peer is ahead (heads unknown here): nothing; the session asks it for its side.
    assert_ne!(heads(&alice), after);
    assert_eq!(alice.bundle_beyond(&ns, &bob_id, &after).unwrap(), None);
    // Unknown heads are trimmed: what is left is the base.
    let mixed = [before.clone(), vec![[0xee; 32]]].concat();
    let trimmed = bob.bundle_beyond(&ns, &bob_id, &mixed).unwrap().unwrap();
    assert_eq!(trimmed.payload, newer.payload);
}

#[test]
fn offline_a_peer_that_is_ahead_gets_the_whole_document_and_keeps_what_it_has() {
    let (alice, bob, ns) = pair();
    let bob_id = bob.identity().unwrap().unwrap().member;
    bob.add_item(&ns, draft("Tondeuse")).unwrap();
    // Alice holds an older copy of Bob's document: none of Bob's heads are known to her. A file
    // has no second round trip, so she sends her copy whole rather than nothing.
    let bundles = alice.bundles_for(&ns, &bob.doc_summaries(&ns).unwrap()).unwrap();
    assert_eq!(bundles.len(), 1);
    assert_eq!(bundles[0].owner, bob_id);
    assert!(matches!(bundles[0].payload, DocPayload::Snapshot(_)));
    let reports = transfer(&alice, &bob, &ns);
    assert_eq!(reports.iter().map(|r| r.new_changes + r.items_changed).sum::<usize>(), 0);
    assert_eq!(bob.list_items(&ItemFilter::default()).unwrap().len(), 1);
}

#[test]
fn not_a_partage_file() {
    let (alice, _bob, ns) = pair();
    for junk in [&b""[..], b"PK\x03\x04 a zip file", b"\x89PNG\r\n\x1a\n", b"PTG"] {
        assert_eq!(file_error(alice.offline_bundle(&ns, junk)), EnvelopeError::NotPartage);
        assert_eq!(file_error(alice.apply_offline_bundle(junk)), EnvelopeError::NotPartage);
    }
    let e = alice.offline_bundle(&ns, b"hello").unwrap_err();
    assert_eq!(e.kind().as_str(), "rejected");
    assert_eq!(e.to_string(), "this is not a Partage sync file");
}

#[test]
fn a_file_from_a_future_version_says_so() {
    let (alice, bob, ns) = pair();
    let mut summary = bob.offline_summary(&ns).unwrap();
    summary[4] = FORMAT_VERSION + 1;
    let e = file_error(alice.offline_bundle(&ns, &summary));
    assert_eq!(e, EnvelopeError::Newer { found: FORMAT_VERSION + 1, newest: FORMAT_VERSION });
    assert!(e.to_string().contains("newer version of Partage"), "{e}");
}

#[test]
fn a_summary_is_not_a_bundle() {
    let (alice, bob, ns) = pair();
    let summary = bob.offline_summary(&ns).unwrap();
    let e = file_error(bob.apply_offline_bundle(&summary));
    assert_eq!(e, EnvelopeError::WrongKind { expected: Kind::Bundle, found: Kind::Summary });
    assert_eq!(e.to_string(), "this is a sync summary, not a sync bundle");
    let bundle = alice.offline_bundle(&ns, &summary).unwrap();
    let e = file_error(alice.offline_bundle(&ns, &bundle));
    assert_eq!(e.to_string(), "this is a sync bundle, not a sync summary");
}

#[test]
fn an_oversized_file_is_refused_before_parsing() {
    let mut huge = header(Kind::Summary);
    huge.resize(MAX_SUMMARY_BYTES + 1, 0xff); // garbage: never parsed
    let e = envelope::decode::<WireSummary>(&huge).unwrap_err();
    assert_eq!(
        e,
        EnvelopeError::TooLarge { kind: Kind::Summary, size: MAX_SUMMARY_BYTES + 1, max: MAX_SUMMARY_BYTES }
    );
    // A length inside the file that the file cannot hold: damaged, nothing allocated for it.
    let e = envelope::decode::<WireBundles>(&bundle_with_huge_snapshot_claim(1 << 40)).unwrap_err();
    assert!(matches!(e, EnvelopeError::Damaged { kind: Kind::Bundle, .. }), "{e:?}");
}

#[test]
fn a_million_tiny_entries_are_refused_at_the_limit() {
    // 1,000,000 documents announced, 5,000 present: refused at the 4,097th.
    let e = envelope::decode::<WireSummary>(&summary_with_docs(1_000_000, 5_000)).unwrap_err();
    assert_eq!(e, EnvelopeError::TooMany { kind: Kind::Summary, what: "documents", max: MAX_SUMMARY_DOCS });
    // 1,000,000 heads of one document, all present: refused on the announced length.
    let e = envelope::decode::<WireSummary>(&summary_with_heads(1_000_000)).unwrap_err();
    assert!(matches!(e, EnvelopeError::TooMany { what: "heads of one document", .. }), "{e:?}");
    // 1,000,000 empty changes (one byte each): refused on the count.
    let e = envelope::decode::<WireBundles>(&bundle_with_changes(1_000_000, 0)).unwrap_err();
    assert!(matches!(e, EnvelopeError::TooMany { what: "changes", .. }), "{e:?}");
    // A few empty changes: not changes at all.
    let e = envelope::decode::<WireBundles>(&bundle_with_changes(50, 0)).unwrap_err();
    assert!(matches!(&e, EnvelopeError::Damaged { reason, .. } if reason.contains("too short")), "{e:?}");
    // 1,000,000 documents announced in a bundle of 40 bytes: the input runs out.
    let e = envelope::decode::<WireBundles>(&bundle_with_documents(1_000_000)).unwrap_err();
    assert!(matches!(e, EnvelopeError::Damaged { .. }), "{e:?}");
}

#[test]
fn a_bundle_for_another_neighbourhood_is_refused() {
    let (alice, _bob, ns) = pair();
    let carol = node("Carol");
    let elsewhere = carol.create_neighbourhood("Rue Haute").unwrap().id;
    // Carol is not a member of Alice's neighbourhood: nothing of it is applied.
    let everything =
        alice.offline_bundle(&ns, &envelope::encode(&WireSummary::new(ns, &[])).unwrap()).unwrap();
    assert!(matches!(carol.apply_offline_bundle(&everything), Err(Error::UnknownNeighbourhood(_))));
    assert!(carol.list_items(&ItemFilter::default()).unwrap().is_empty());
    // A summary of another neighbourhood is not answered.
    let theirs = carol.offline_summary(&elsewhere).unwrap();
    let e = file_error(alice.offline_bundle(&ns, &theirs));
    assert!(matches!(e, EnvelopeError::OtherNeighbourhood { kind: Kind::Summary, .. }), "{e:?}");
    // A bundle file whose documents are of another neighbourhood than the file says.
    let mut wire: WireBundles = envelope::decode(&everything).unwrap();
    wire.neighbourhood = elsewhere;
    let forged = envelope::encode(&wire).unwrap();
    let e = file_error(carol.apply_offline_bundle(&forged));
    assert!(matches!(e, EnvelopeError::OtherNeighbourhood { kind: Kind::Bundle, .. }), "{e:?}");
    assert!(carol.list_items(&ItemFilter::default()).unwrap().is_empty());
}
