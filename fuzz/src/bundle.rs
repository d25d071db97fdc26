//! Target `bundle`: `Node::import_bundle`, the one path by which documents from other members
//! (and from anyone pretending to be one) enter a node.
//!
//! The receiving node is Carol, restored from `fixtures/carol.json`: a member of a
//! neighbourhood with Alice (whose document Carol has) and Bob (whose document she has not).
//! The bundle is one of the genuine ones in `fixtures/bundles.json` (Alice's latest changes,
//! Bob's whole document) with its payload taken from the input. The first input byte chooses:
//!
//! | bit | set                                             | clear                       |
//! |-----|-------------------------------------------------|-----------------------------|
//! | 0   | payload `Changes` (u16-LE-length-prefixed list) | payload `Snapshot` (the rest) |
//! | 1   | attest the payload's heads with the owner's device key (`fixtures/keys.json`): a hostile *member* | keep the genuine attestations |
//! | 2   | the input holds chunk bodies: the harness adds automerge's header and checksum | raw bytes |
//! | 3   | owner Alice (Carol has her document: merge path) | owner Bob (new document) |
//! | 4   | drop the carried admissions                      |                             |
//! | 5   | drop the device certificates                     |                             |
//! | 6   | sign with the *other* member's device key        |                             |
//!
//! Checked: no panic; a rejected import leaves items, document heads and members exactly as
//! they were; after an accepted one the node still lists its items, and reopening the store
//! gives the same state (then the node is reset to the fixture for the next input).

use crate::chunk::{self, CHANGE, DOCUMENT};
use crate::{Input, work};
use automerge::{AutoCommit, Change, ChangeHash};
use partage::attest::Attestation;
use partage::export::ExportFile;
use partage::identity::Identity;
use partage::node::STORE_FILE;
use partage::store::IdentityRecord;
use partage::{DocBundle, DocPayload, Error, ImportReport, ItemFilter, NeighbourhoodId, Node};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Changes read from one input at most.
pub const MAX_CHANGES: usize = 256;

#[derive(Serialize, Deserialize)]
pub struct Keys {
    pub alice: IdentityRecord,
    pub bob: IdentityRecord,
}

#[derive(Serialize, Deserialize)]
pub struct Bundles {
    /// Alice's changes since the heads Carol has.
    pub alice: DocBundle,
    /// Bob's whole document.
    pub bob: DocBundle,
}

pub struct Fixture {
    pub carol: String,
    pub alice: Identity,
    pub bob: Identity,
    pub bundles: Bundles,
}

/// `fuzz/fixtures`, where `make-fixtures` writes and the targets read.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

impl Fixture {
    pub fn load(dir: &Path) -> Fixture {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .unwrap_or_else(|e| panic!("{}: {e} (run make-fixtures)", dir.join(name).display()))
        };
        let keys: Keys = serde_json::from_str(&read("keys.json")).expect("keys.json");
        let bundles: Bundles = serde_json::from_str(&read("bundles.json")).expect("bundles.json");
        Fixture {
            carol: read("carol.json"),
            alice: keys.alice.to_identity().expect("Alice's keys"),
            bob: keys.bob.to_identity().expect("Bob's keys"),
            bundles,
        }
    }

    pub fn neighbourhood(&self) -> NeighbourhoodId {
        self.bundles.bob.neighbourhood
    }
}

/// The bundle an input stands for (see the module documentation).
pub fn build(fx: &Fixture, data: &[u8]) -> DocBundle {
    let mut input = Input::new(data);
    let flags = input.byte();
    let (changes, sign, fix, alice) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0, flags & 8 != 0);
    let mut b = if alice { fx.bundles.alice.clone() } else { fx.bundles.bob.clone() };
    b.payload = if changes {
        let mut list = Vec::new();
        while !input.is_empty() && list.len() < MAX_CHANGES {
            let p = input.piece();
            list.push(if fix { chunk::wrap(CHANGE, p) } else { p.to_vec() });
        }
        DocPayload::Changes(list)
    } else {
        let body = input.rest();
        DocPayload::Snapshot(if fix { chunk::wrap(DOCUMENT, body) } else { body.to_vec() })
    };
    if sign {
        let signer = if alice != (flags & 64 != 0) { &fx.alice } else { &fx.bob };
        let hashes: Vec<ChangeHash> = match &b.payload {
            DocPayload::Snapshot(bytes) => {
                AutoCommit::load(bytes).map(|mut d| d.get_heads()).unwrap_or_default()
            }
            DocPayload::Changes(list) => {
                list.iter().filter_map(|c| Change::from_bytes(c.clone()).ok()).map(|c| c.hash()).collect()
            }
        };
        b.attestations = hashes
            .iter()
            .map(|h| Attestation::sign(&signer.device_key, &b.neighbourhood, &b.owner, h))
            .collect();
    }
    if flags & 16 != 0 {
        b.owner_admissions.clear();
    }
    if flags & 32 != 0 {
        b.devices.clear();
    }
    b
}

/// What a test compares before and after an import.
pub fn fingerprint(node: &Node, ns: &NeighbourhoodId) -> String {
    let items = node.list_items(&ItemFilter::default()).expect("list_items after an import");
    let docs = node.doc_summaries(ns).expect("doc_summaries after an import");
    let members = node.members(ns).expect("members after an import");
    format!("{items:?}|{docs:?}|{members:?}")
}

/// Carol's node, reset to the fixture after every accepted import.
pub struct BundleTarget {
    pub fx: Fixture,
    template: PathBuf,
    live: PathBuf,
    node: Option<Node>,
    clean: String,
}

impl BundleTarget {
    pub fn new(fx: Fixture) -> BundleTarget {
        let work = work::dir("bundle");
        let template = work.join("template");
        {
            let node = Node::open(&template).expect("open template node");
            let file: ExportFile = serde_json::from_str(&fx.carol).expect("carol.json");
            node.import_data(file).expect("restore carol.json");
        }
        let mut t = BundleTarget { fx, template, live: work.join("live"), node: None, clean: String::new() };
        t.reset();
        t
    }

    fn reset(&mut self) {
        self.node = None;
        let _ = std::fs::remove_dir_all(&self.live);
        std::fs::create_dir_all(&self.live).expect("create live dir");
        std::fs::copy(self.template.join(STORE_FILE), self.live.join(STORE_FILE)).expect("copy template");
        let node = Node::open(&self.live).expect("open live node");
        self.clean = fingerprint(&node, &self.fx.neighbourhood());
        self.node = Some(node);
    }

    pub fn run(&mut self, data: &[u8]) -> Result<ImportReport, Error> {
        let bundle = build(&self.fx, data);
        self.import(&bundle)
    }

    /// Imports `bundle` into Carol's node and checks the invariants.
    pub fn import(&mut self, bundle: &DocBundle) -> Result<ImportReport, Error> {
        let ns = self.fx.neighbourhood();
        let node = self.node.as_ref().expect("node");
        let result = node.import_bundle(bundle);
        match &result {
            Ok(_) => {
                let after = fingerprint(node, &ns);
                self.node = None;
                let reopened = Node::open(&self.live).expect("reopen after an accepted import");
                assert_eq!(fingerprint(&reopened, &ns), after, "stored state differs from memory");
                drop(reopened);
                self.reset();
            }
            Err(e) => {
                let _ = e.to_string();
                let now = fingerprint(node, &ns);
                assert!(now == self.clean, "rejected import ({e}) changed the node's state");
            }
        }
        result
    }
}
