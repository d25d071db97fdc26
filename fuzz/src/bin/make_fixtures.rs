//! Writes `fuzz/fixtures/` (the bundle target's receiving node and keys) and the seed corpora
//! `fuzz/corpus/<target>/seed-*`, from a real neighbourhood made here:
//! Alice founds "Rue des Lilas" and lends a drill to Bob; Carol joins later and has Alice's
//! document but not Bob's; Alice then adds an item Carol has not seen.
//!
//! The fixtures hold the secret keys of these made-up people: the bundle target signs with
//! them. Regenerating changes every key and id, so the saved bundle regressions
//! (`tests/fuzz-regressions/bundle/*.bundle`) would no longer apply: do it only on purpose.
//!
//! `cargo run --release --bin make-fixtures` (from fuzz/).

use partage::clock::{format_day, today};
use partage::export::ExportFile;
use partage::node::MembershipProof;
use partage::{DocBundle, DocPayload, ItemDraft, MemberId, NeighbourhoodId, Node};
use partage_fuzz::bundle::{Bundles, Keys};
use partage_fuzz::chunk;
use partage_fuzz::encode_pieces;
use partage_net::wire::{self, DocHash, HelloEntry, Msg, WireBundle};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn node(dir: &Path, name: &str) -> Node {
    let n = Node::open(dir).expect("open");
    n.init(name).expect("init");
    n
}

fn heads_of(node: &Node, ns: &NeighbourhoodId, owner: &MemberId) -> Vec<[u8; 32]> {
    node.doc_summaries(ns)
        .expect("summaries")
        .into_iter()
        .find(|s| s.owner == *owner)
        .map(|s| s.heads)
        .unwrap_or_default()
}

/// Sends `owner`'s document from `from` to `to`, as changes beyond what `to` has.
fn push_one(from: &Node, to: &Node, ns: &NeighbourhoodId, owner: &MemberId) {
    let have = heads_of(to, ns, owner);
    if have == heads_of(from, ns, owner) {
        return;
    }
    to.import_bundle(&from.doc_bundle(ns, owner, &have).expect("bundle")).expect("import");
}

fn push(from: &Node, to: &Node, ns: &NeighbourhoodId) {
    for s in from.doc_summaries(ns).expect("summaries") {
        push_one(from, to, ns, &s.owner);
    }
}

fn me(node: &Node) -> MemberId {
    node.identity().expect("identity").expect("initialised").member
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join(name), bytes).expect("write");
}

fn wire_bundle(b: &DocBundle) -> WireBundle {
    WireBundle {
        neighbourhood: b.neighbourhood,
        owner: b.owner,
        owner_chain: Some(b.owner_chain.clone()),
        owner_admissions: b.owner_admissions.clone(),
        device_revocations: b.device_revocations.clone(),
        devices: b.devices.clone(),
        payload: b.payload.clone(),
        attestations: b.attestations.clone(),
    }
}

fn json_keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                json_keys(v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| json_keys(v, out)),
        _ => {}
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("fixtures");
    let corpus = root.join("corpus");
    let tmp = tempfile::tempdir().expect("tempdir");

    let alice = node(&tmp.path().join("alice"), "Alice");
    let ns = alice.create_neighbourhood("Rue des Lilas").expect("create").id;
    let drill = alice
        .add_item(
            &ns,
            ItemDraft {
                title: "Perceuse à percussion".into(),
                description: "Avec un jeu de mèches béton".into(),
                tags: vec!["outils".into(), "bricolage".into()],
                deposit_cents: Some(2000),
                max_loan_days: Some(7),
                ..ItemDraft::default()
            },
        )
        .expect("add item")
        .item
        .id;
    let bob = node(&tmp.path().join("bob"), "Bob");
    let ticket = alice.invite(&ns, 365, 1, vec!["/ip4/127.0.0.1/tcp/4001".into()]).expect("invite");
    bob.join(&ticket).expect("join");
    push(&bob, &alice, &ns);
    push(&alice, &bob, &ns);
    bob.add_item(&ns, ItemDraft { title: "Tente 4 places".into(), ..ItemDraft::default() }).expect("add");
    let loan =
        bob.request_loan(&drill, &format_day(today() + 1), &format_day(today() + 3), "Pour le week-end");
    let loan = loan.expect("request loan");
    push(&bob, &alice, &ns);
    alice.accept_loan(&loan.id, "D'accord").expect("accept");
    push(&alice, &bob, &ns);

    let carol = node(&tmp.path().join("carol"), "Carol");
    let ticket = alice.invite(&ns, 365, 2, vec![]).expect("invite");
    carol.join(&ticket).expect("join");
    push(&carol, &alice, &ns);
    push_one(&alice, &carol, &ns, &me(&alice));
    push_one(&carol, &bob, &ns, &me(&carol));
    let carol_has = heads_of(&carol, &ns, &me(&alice));
    alice.add_item(&ns, ItemDraft { title: "Échelle".into(), ..ItemDraft::default() }).expect("add");

    let bundles = Bundles {
        alice: alice.doc_bundle(&ns, &me(&alice), &carol_has).expect("bundle"),
        bob: bob.doc_bundle(&ns, &me(&bob), &[]).expect("bundle"),
    };
    let carol_export = carol.export_data().expect("export");
    let alice_export = alice.export_data().expect("export");
    let keys =
        Keys { alice: alice_export.identity.clone(), bob: bob.export_data().expect("export").identity };
    let pretty = |v: &ExportFile| serde_json::to_vec_pretty(v).expect("json");
    write(&fixtures, "carol.json", &pretty(&carol_export));
    write(&fixtures, "keys.json", &serde_json::to_vec_pretty(&keys).expect("json"));
    write(&fixtures, "bundles.json", &serde_json::to_vec_pretty(&bundles).expect("json"));

    // export: two real backups, and a dictionary of the JSON keys for AFL (-x).
    let dir = corpus.join("export");
    write(&dir, "seed-carol.json", &serde_json::to_vec(&carol_export).expect("json"));
    write(&dir, "seed-alice.json", &serde_json::to_vec(&alice_export).expect("json"));
    let mut names = BTreeSet::new();
    json_keys(&serde_json::to_value(&alice_export).expect("json"), &mut names);
    let mut dict = String::from("# JSON keys of a real export (make-fixtures)\n");
    for (i, k) in names.iter().enumerate() {
        dict.push_str(&format!("key_{i}=\"\\\"{k}\\\"\"\n"));
    }
    for (i, t) in ["partage-export", "null", "true", "false", "[]", "{}", "\":\"", "\",\""].iter().enumerate()
    {
        dict.push_str(&format!("tok_{i}=\"{}\"\n", t.replace('"', "\\\"")));
    }
    write(&root.join("dict"), "export.dict", dict.as_bytes());

    // ticket: a real ticket's text, and its body without the checksum (the input's third use).
    let dir = corpus.join("ticket");
    let text = alice.invite(&ns, 30, 3, vec!["/ip4/192.0.2.1/udp/4001/quic-v1".into()]).expect("invite");
    write(&dir, "seed-text", text.as_bytes());
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.strip_prefix(partage::ticket::PREFIX).expect("prefix"))
        .expect("base64");
    write(&dir, "seed-body", &raw[..raw.len() - 4]);

    // bundle: flags byte, then the payload (see partage_fuzz::bundle).
    let dir = corpus.join("bundle");
    let DocPayload::Snapshot(snapshot) = &bundles.bob.payload else { panic!("Bob's bundle is a snapshot") };
    let DocPayload::Changes(alice_changes) = &bundles.alice.payload else { panic!("Alice's are changes") };
    let body = |bytes: &[u8]| chunk::unwrap(bytes).expect("one chunk").1.to_vec();
    let with_flags = |flags: u8, rest: &[u8]| [&[flags][..], rest].concat();
    write(&dir, "seed-bob-snapshot-genuine", &with_flags(0, snapshot));
    write(&dir, "seed-bob-snapshot-signed", &with_flags(2 | 4, &body(snapshot)));
    write(&dir, "seed-alice-changes-genuine", &with_flags(1 | 8, &encode_pieces(alice_changes)));
    let bodies: Vec<Vec<u8>> = alice_changes.iter().map(|c| body(c)).collect();
    write(&dir, "seed-alice-changes-signed", &with_flags(1 | 2 | 4 | 8, &encode_pieces(&bodies)));
    let history = automerge::AutoCommit::load(snapshot).expect("load").get_changes(&[]);
    let bodies: Vec<Vec<u8>> = history.iter().map(|c| body(c.raw_bytes())).collect();
    write(&dir, "seed-bob-history-signed", &with_flags(1 | 2 | 4, &encode_pieces(&bodies)));

    // frame: one body per message kind, made of real data.
    let dir = corpus.join("frame");
    let proof: MembershipProof = carol.membership_proof(&ns).expect("proof");
    let docs: Vec<DocHash> = alice
        .doc_summaries(&ns)
        .expect("summaries")
        .into_iter()
        .map(|s| DocHash { owner: s.owner, heads: s.heads.first().copied().unwrap_or_default() })
        .collect();
    let msgs = vec![
        Msg::Hello { reply: true, entries: vec![HelloEntry { tag: [7; 32], digest: [9; 32] }] },
        Msg::Proof { ns, proof },
        Msg::Denied { ns, reason: "not a member".into() },
        Msg::Summary { ns, docs, revocations: vec![] },
        Msg::Want { ns, owner: me(&alice), heads: carol_has.clone() },
        Msg::Bundle { answer: true, bundle: wire_bundle(&bundles.alice) },
        Msg::Bundle { answer: false, bundle: wire_bundle(&bundles.bob) },
        Msg::NoChange { ns, owner: me(&bob) },
        Msg::Ahead { ns, owner: me(&bob), heads: carol_has },
        Msg::Status { ns, digest: [3; 32], ack: true },
    ];
    let mut stream = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let frame = wire::encode(m, usize::MAX).expect("encode");
        write(&dir, &format!("seed-{i:02}-{}", m.name()), &frame[wire::PREFIX..]);
        if frame.len() < 300 {
            stream.extend_from_slice(&frame);
        }
    }
    write(&dir, "seed-stream", &stream);
    println!("fixtures in {}, seeds in {}", fixtures.display(), corpus.display());
}
