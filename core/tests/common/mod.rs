//! Shared by the sync tests: real nodes in temporary directories, and hand-crafted hostile
//! sync files (written byte by byte, as an attacker would, not through the encoder).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use partage::sync::envelope::{FORMAT_VERSION, Kind, MAGIC};
use partage::{ImportReport, NeighbourhoodId, Node};
use tempfile::TempDir;

pub struct TestNode {
    pub node: Node,
    pub dir: TempDir,
}

impl std::ops::Deref for TestNode {
    type Target = Node;
    fn deref(&self) -> &Node {
        &self.node
    }
}

pub fn node(name: &str) -> TestNode {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path()).unwrap();
    node.init(name).unwrap();
    TestNode { node, dir }
}

/// One offline exchange: `to` writes a summary, `from` answers with a bundle, `to` applies it.
pub fn transfer(from: &Node, to: &Node, ns: &NeighbourhoodId) -> Vec<ImportReport> {
    let summary = to.offline_summary(ns).unwrap();
    let bundle = from.offline_bundle(ns, &summary).unwrap();
    to.apply_offline_bundle(&bundle).unwrap()
}

/// Alice founds a neighbourhood, Bob joins with a ticket; both confirmed through files only.
pub fn pair() -> (TestNode, TestNode, NeighbourhoodId) {
    let (alice, bob) = (node("Alice"), node("Bob"));
    let ns = alice.create_neighbourhood("Rue des Lilas").unwrap().id;
    let ticket = alice.invite(&ns, 7, 1, vec![]).unwrap();
    bob.join(&ticket).unwrap();
    assert!(!bob.neighbourhood(&ns).unwrap().confirmed);
    transfer(&bob, &alice, &ns); // Alice meets Bob's document and witnesses his ticket
    transfer(&alice, &bob, &ns); // Bob learns of it from Alice's document
    assert!(bob.neighbourhood(&ns).unwrap().confirmed);
    (alice, bob, ns)
}

pub fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

pub fn header(kind: Kind) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.push(FORMAT_VERSION);
    out.push(kind.code());
    out
}

/// An id as postcard writes it (length, then the bytes).
pub fn id(byte: u8) -> Vec<u8> {
    let mut out = vec![32];
    out.extend([byte; 32]);
    out
}

/// A summary announcing `announced` documents, of which `present` are there (no heads each).
pub fn summary_with_docs(announced: u64, present: usize) -> Vec<u8> {
    let mut out = header(Kind::Summary);
    out.extend(id(7));
    out.extend(varint(announced));
    for _ in 0..present {
        out.extend(id(1));
        out.push(0);
    }
    out
}

/// A summary with one document listing `heads` heads, all present.
pub fn summary_with_heads(heads: u64) -> Vec<u8> {
    let mut out = header(Kind::Summary);
    out.extend(id(7));
    out.push(1);
    out.extend(id(1));
    out.extend(varint(heads));
    out.resize(out.len() + 32 * heads as usize, 0xab);
    out
}

/// A bundle file with one document whose lists are empty, up to its payload.
fn bundle_up_to_payload() -> Vec<u8> {
    let mut out = header(Kind::Bundle);
    out.extend(id(7));
    out.push(1); // one document
    out.extend(id(7));
    out.extend(id(1));
    out.extend([0, 0, 0, 0, 0]); // chain, devices, revocations, admissions, device revocations
    out
}

/// A bundle whose payload lists `count` changes of `len` bytes each (then no attestation).
pub fn bundle_with_changes(count: u64, len: usize) -> Vec<u8> {
    bundle_with_changes_announcing(count, count, len)
}

/// Like [`bundle_with_changes`], with a length prefix that announces `announced` changes.
pub fn bundle_with_changes_announcing(announced: u64, count: u64, len: usize) -> Vec<u8> {
    let mut out = bundle_up_to_payload();
    out.push(1); // Changes
    out.extend(varint(announced));
    let entry: Vec<u8> = varint(len as u64).into_iter().chain(std::iter::repeat_n(0x5a, len)).collect();
    for _ in 0..count {
        out.extend(&entry);
    }
    out.push(0);
    out
}

/// A bundle whose snapshot claims `len` bytes but carries 10.
pub fn bundle_with_huge_snapshot_claim(len: u64) -> Vec<u8> {
    let mut out = bundle_up_to_payload();
    out.push(0); // Snapshot
    out.extend(varint(len));
    out.extend([0; 10]);
    out
}

/// A bundle file announcing `announced` documents and carrying none.
pub fn bundle_with_documents(announced: u64) -> Vec<u8> {
    let mut out = header(Kind::Bundle);
    out.extend(id(7));
    out.extend(varint(announced));
    out
}
