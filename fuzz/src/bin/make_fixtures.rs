//! Writes `fuzz/fixtures/` (the bundle target's receiving node and keys) and the seed corpora
//! `fuzz/corpus/<target>/seed-*`, from a real neighbourhood made here:
//! Alice founds "Rue des Lilas" and lends a drill to Bob; Carol joins later and has Alice's
//! document but not Bob's; Alice then adds an item Carol has not seen.
//!
//! The fixtures hold the secret keys of these made-up people: the bundle target signs with
//! them. Regenerating changes every key and id, so the saved bundle regressions
//! (`tests/fuzz-regressions/bundle/*.bundle`) would no longer apply: do it only on purpose.
//!
//! The session target has its own fixture (`fixtures/session.json`: Carol and Alice of another
//! neighbourhood) and seeds (frames Alice wrote in a recorded exchange with Carol):
//! `make-fixtures session` writes only those, and leaves the bundle fixtures alone.
//!
//! `cargo run --release --bin make-fixtures [all|session]` (from fuzz/; default all).

use partage::clock::{format_day, today};
use partage::export::ExportFile;
use partage::node::MembershipProof;
use partage::{DocBundle, DocPayload, ItemDraft, MemberId, NeighbourhoodId, Node};
use partage_fuzz::bundle::{Bundles, Keys};
use partage_fuzz::chunk;
use partage_fuzz::encode_pieces;
use partage_fuzz::session::{self, SessionFixture};
use partage_net::wire::{self, DocHash, HelloEntry, Msg, WireBundle, WireProof};
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
        payload: b.payload.clone().into(),
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

/// The session target's fixture and seeds: Alice founds "Impasse des Tilleuls"; Bob and Dave
/// join; Carol joins, has Alice's document (not Bob's) and adds an item Alice has not seen; then
/// Alice adds one Carol has not seen and revokes Dave. A sync between Carol and Alice therefore
/// moves changes both ways, a whole document and a revocation.
fn session_fixture(tmp: &Path, root: &Path) {
    let alice = node(&tmp.join("s-alice"), "Alice");
    let ns = alice.create_neighbourhood("Impasse des Tilleuls").expect("create").id;
    let item = |title: &str| ItemDraft { title: title.into(), ..ItemDraft::default() };
    alice.add_item(&ns, item("Scie sauteuse")).expect("add");
    let bob = node(&tmp.join("s-bob"), "Bob");
    bob.join(&alice.invite(&ns, 365, 1, vec![]).expect("invite")).expect("join");
    push(&bob, &alice, &ns);
    push(&alice, &bob, &ns);
    bob.add_item(&ns, item("Tente 4 places")).expect("add");
    push(&bob, &alice, &ns);
    let dave = node(&tmp.join("s-dave"), "Dave");
    dave.join(&alice.invite(&ns, 365, 1, vec![]).expect("invite")).expect("join");
    push(&dave, &alice, &ns);
    let carol = node(&tmp.join("s-carol"), "Carol");
    carol.join(&alice.invite(&ns, 365, 1, vec![]).expect("invite")).expect("join");
    push_one(&carol, &alice, &ns, &me(&carol));
    push_one(&alice, &carol, &ns, &me(&alice));
    carol.add_item(&ns, item("Échelle")).expect("add");
    alice.add_item(&ns, item("Arrosoir")).expect("add");
    alice.revoke(&ns, &me(&dave)).expect("revoke");

    let mut alice_export = alice.export_data().expect("export");
    // Without Dave's document and record: an export made after a revocation cannot be imported
    // as it is (tests/tests/inventory.rs, an_export_made_after_a_revocation_can_be_imported).
    let dave = me(&dave);
    alice_export.documents.retain(|d| d.owner != dave);
    alice_export.members.retain(|m| m.member != dave);
    let fx = SessionFixture { carol: carol.export_data().expect("export"), alice: alice_export };
    let fixtures = root.join("fixtures");
    write(&fixtures, "session.json", &serde_json::to_vec_pretty(&fx).expect("json"));

    // Seeds: the frames Alice writes to Carol, both restored from the file just written, as a
    // fuzz process restores them.
    let (carol, alice) = session::restore(SessionFixture::load(&fixtures), &tmp.join("s-restored"));
    let (genuine, pushed) = session::record(&carol, &alice, true);
    let n = u8::try_from(genuine.len()).expect("a short exchange");
    assert!(n < 0x80, "more genuine frames than the input's first byte can replay");
    let frames = |list: &[Vec<u8>]| -> Vec<u8> {
        list.iter().flat_map(|f| [vec![0], encode_pieces(std::slice::from_ref(f))].concat()).collect()
    };
    let dir = root.join("corpus").join("session");
    write(&dir, "seed-fresh-genuine", &[&[0][..], &frames(&genuine)].concat());
    write(&dir, "seed-stranger-genuine", &[&[0x80][..], &frames(&genuine)].concat());
    for (k, f) in genuine.iter().enumerate() {
        let name = wire::decode(f).expect("a genuine frame").name();
        let k8 = u8::try_from(k).expect("k < n");
        write(
            &dir,
            &format!("seed-replay-{k:02}-then-{name}"),
            &[&[k8][..], &frames(&genuine[k..=k])].concat(),
        );
    }
    write(&dir, "seed-round-then-push", &[&[n][..], &frames(&pushed), &[6]].concat());
    // After the round: Carol edits, events, a stalled writer, a sync request, time.
    write(&dir, "seed-round-then-ops", &[n, 7, 1, 6, 3, 7, 2, 6, 3, 5, 4, 40]);
    // Fresh, then genuine frames by number: hello, the proof twice, a bundle before the summary,
    // then all in order.
    let mut picks = vec![0, 2, 0, 2, 1, 2, 1, 2, 7, 2, 2];
    picks.extend((0..n).flat_map(|i| [2, i]));
    write(&dir, "seed-genuine-picks", &picks);
    write(&dir, "seed-stalled-genuine", &[&[2, 3][..], &frames(&genuine[2..]), &[3]].concat());
    println!("session fixture in {}, {} genuine frames", fixtures.display(), genuine.len());
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("fixtures");
    let corpus = root.join("corpus");
    let tmp = tempfile::tempdir().expect("tempdir");
    match std::env::args().nth(1).as_deref() {
        None | Some("all") => {}
        Some("session") => {
            session_fixture(tmp.path(), &root);
            return;
        }
        Some(other) => panic!("usage: make-fixtures [all|session], not {other}"),
    }
    session_fixture(tmp.path(), &root);

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
        // The frame target decodes only: any binding signature will do (a session checks it).
        Msg::Proof { ns, proof: WireProof::new(proof, carol.sign_session_binding(&[0; 32]).expect("sign")) },
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
