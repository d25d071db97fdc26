//! The reader's slots for documents loaded ahead (THREAT_MODEL, ADR 0020's addendum): it waits
//! for one of its own session's, which its own session frees, and never for the node-wide ones,
//! which another session (perhaps a hostile member's, sending whole documents it never lets its
//! session store) may hold for as long as it likes.

use super::{Ahead, PREPARED_AHEAD, prepare_ahead};
use crate::wire::{self, Msg, WireBundle};
use partage::{ItemDraft, MemberId, Node};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Bob, who holds nothing of Carol's document, and the body of a frame answering his want with
/// it whole (as the session's reader gets it).
fn bob_and_carols_whole_document() -> (tempfile::TempDir, Node, MemberId, Vec<u8>) {
    let (dir, alice, bob, ns) = crate::session::adversarial::pair((0, 0));
    let carol = Node::open(dir.path().join("c")).unwrap();
    carol.init("Carol").unwrap();
    carol.join(&alice.invite(&ns, 7, 1, vec![]).unwrap()).unwrap();
    for i in 0..3 {
        carol.add_item(&ns, ItemDraft { title: format!("Tente {i}"), ..ItemDraft::default() }).unwrap();
    }
    let owner = carol.identity().unwrap().unwrap().member;
    let b = carol.doc_bundle(&ns, &owner, &[]).unwrap();
    let bundle = WireBundle {
        neighbourhood: b.neighbourhood,
        owner,
        owner_chain: Some(b.owner_chain),
        owner_admissions: b.owner_admissions,
        device_revocations: b.device_revocations,
        devices: b.devices,
        payload: b.payload.into(),
        attestations: b.attestations,
    };
    let frame = wire::encode(&Msg::Bundle { answer: true, bundle }, usize::MAX).unwrap();
    (dir, bob, owner, frame[wire::PREFIX..].to_vec())
}

fn ahead(node: &Node) -> Ahead {
    Ahead {
        node: node.clone(),
        slots: Arc::new(Semaphore::new(PREPARED_AHEAD)),
        own: Arc::new(Semaphore::new(PREPARED_AHEAD)),
    }
}

/// Far longer than preparing a three-item document takes: a reader that waited for a node-wide
/// slot would hit it (the slot is never freed), one that does not returns long before.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_goes_on_unprepared_while_another_session_holds_every_node_wide_slot() {
    let (_dir, bob, carol, body) = bob_and_carols_whole_document();
    let ahead = ahead(&bob);
    // Another session holds both node-wide slots and never lets go while this runs.
    let hostile = ahead.slots.clone().try_acquire_many_owned(PREPARED_AHEAD as u32).unwrap();
    let prepared = tokio::time::timeout(PATIENCE, prepare_ahead(&body, &ahead)).await;
    assert!(matches!(prepared, Ok(None)), "the reader returned at once, with nothing prepared");
    assert_eq!(ahead.own.available_permits(), PREPARED_AHEAD, "its own slot went back");
    // The same frame with a node-wide slot free is prepared: the first answer was the slots'.
    drop(hostile);
    let prepared = prepare_ahead(&body, &ahead).await.expect("prepared once a slot is free");
    assert_eq!(prepared.key.1, carol);
    assert_eq!(ahead.slots.available_permits(), PREPARED_AHEAD - 1, "held until the frame is handled");
    drop(prepared);
    assert_eq!(ahead.slots.available_permits(), PREPARED_AHEAD);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_waits_for_a_slot_of_its_own_session() {
    let (_dir, bob, _, body) = bob_and_carols_whole_document();
    let ahead = ahead(&bob);
    // Its own session is storing the two frames before this one.
    let before = ahead.own.clone().try_acquire_many_owned(PREPARED_AHEAD as u32).unwrap();
    let reader = prepare_ahead(&body, &ahead);
    tokio::pin!(reader);
    let early = tokio::time::timeout(Duration::from_millis(200), &mut reader).await;
    assert!(early.is_err(), "the reader waits while its own session holds both of its slots");
    drop(before);
    let prepared = tokio::time::timeout(PATIENCE, reader).await.unwrap();
    assert!(prepared.is_some(), "prepared once its own session freed a slot");
}
