//! Exports that are safe to keep: owner-only files, passphrase encryption (wrong passphrase,
//! damaged and hostile files refused with the store left empty), and the data-only export that
//! holds one's own data and no secret. Real files, real nodes.

use partage::clock::{format_day, today};
use partage::export::KdfParams;
use partage::export::sealed::{HEADER_LEN, MAGIC};
use partage::{Error, ErrorKind, ItemDraft, ItemFilter, LoanFilter, NeighbourhoodId, Node};
use partage_tests::{TestNode, draft, neighbourhood, push, sync_all};
use std::path::Path;
use tempfile::TempDir;

/// Cheap enough to derive thousands of times in a debug build (the flipped-byte test); real
/// exports use `KdfParams::DEFAULT` (64 MiB, 3 passes), as `export_encrypted` does below.
const CHEAP: KdfParams = KdfParams { memory_kib: 8, iterations: 1, lanes: 1 };
const PASSPHRASE: &str = "la clé est sous le paillasson";

/// Alice (founder, admin) lends her drill to Bob (accepted, with messages); Bob has a tent.
fn lending_pair() -> (Vec<TestNode>, NeighbourhoodId) {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let drill = nodes[0]
        .node
        .add_item(
            &ns,
            ItemDraft {
                description: "18 V, deux batteries".into(),
                deposit_cents: Some(3000),
                tags: vec!["bricolage".into()],
                ..draft("Perceuse à percussion")
            },
        )
        .unwrap()
        .item
        .id;
    nodes[0].node.add_item(&ns, draft("Escabeau")).unwrap();
    nodes[1].node.add_item(&ns, draft("Tente 4 places")).unwrap();
    sync_all(&nodes, &ns);
    let day = |d| format_day(today() + d);
    let loan = nodes[1].node.request_loan(&drill, &day(1), &day(3), "pour les étagères").unwrap();
    push(&nodes[1].node, &nodes[0].node, &ns);
    nodes[0].node.accept_loan(&loan.id, "passe samedi").unwrap();
    sync_all(&nodes, &ns);
    (nodes, ns)
}

fn fresh() -> (TempDir, Node) {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path()).unwrap();
    (dir, node)
}

fn assert_empty(node: &Node, what: &str) {
    assert!(node.identity().unwrap().is_none(), "{what}: identity was written");
    assert!(node.neighbourhoods().unwrap().is_empty(), "{what}: neighbourhoods were written");
    assert!(node.list_items(&ItemFilter::default()).unwrap().is_empty(), "{what}: items were written");
}

/// The restored node shows what the original shows.
fn assert_same(restored: &Node, original: &Node, ns: &NeighbourhoodId) {
    assert_eq!(restored.identity().unwrap(), original.identity().unwrap());
    assert_eq!(restored.neighbourhoods().unwrap(), original.neighbourhoods().unwrap());
    assert_eq!(restored.members(ns).unwrap(), original.members(ns).unwrap());
    assert_eq!(
        restored.list_items(&ItemFilter::default()).unwrap(),
        original.list_items(&ItemFilter::default()).unwrap()
    );
    assert_eq!(
        restored.loans(&LoanFilter::default()).unwrap(),
        original.loans(&LoanFilter::default()).unwrap()
    );
    assert_eq!(restored.doc_summaries(ns).unwrap(), original.doc_summaries(ns).unwrap());
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn temp_files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partage-tmp"))
        .collect()
}

/// The hex of every secret the node holds: member key, device key, neighbourhood root keys.
fn secrets_hex(node: &Node) -> Vec<String> {
    let export = node.export_data().unwrap();
    let identity = serde_json::to_value(&export.identity).unwrap();
    let mut secrets: Vec<String> = ["member_secret", "device_secret"]
        .iter()
        .filter_map(|k| identity[k].as_str().map(str::to_owned))
        .collect();
    for n in &export.neighbourhoods {
        let record = serde_json::to_value(n).unwrap();
        secrets.extend(record["root_secret"].as_str().map(str::to_owned));
    }
    assert!(secrets.len() >= 3, "member, device and root secrets expected: {secrets:?}");
    assert!(secrets.iter().all(|s| s.len() == 64), "{secrets:?}");
    secrets
}

#[test]
fn an_encrypted_export_refuses_a_wrong_passphrase_then_restores_with_the_right_one() {
    let (nodes, ns) = lending_pair();
    let file = nodes[0].dir.path().join("backup.partage");
    // The real parameters (64 MiB, 3 passes), as apps and the CLI use them.
    let summary = nodes[0].node.export_encrypted(&file, PASSPHRASE).unwrap();
    assert_eq!((summary.neighbourhoods, summary.documents, summary.items), (1, 2, 3));
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(MAGIC));
    for secret in secrets_hex(&nodes[0].node) {
        let needle = secret.as_bytes();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "a secret in clear in the encrypted file");
    }
    assert!(!bytes.windows(8).any(|w| w == b"Perceuse"), "an item title in clear in the encrypted file");

    let (dir, node) = fresh();
    let err = node.import_from_file(&file).unwrap_err();
    assert!(matches!(err, Error::PassphraseRequired), "{err}");
    assert_eq!(err.to_string(), "this export is encrypted: give its passphrase");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_empty(&node, "no passphrase");

    let err = node.import_from_file_with_passphrase(&file, Some("la clé est sous le tapis")).unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
    assert_eq!(err.to_string(), "wrong passphrase, or the file was damaged");
    assert_eq!(err.kind(), ErrorKind::CorruptExport);
    assert_empty(&node, "wrong passphrase");
    // Nothing on disk either.
    drop(node);
    let node = Node::open(dir.path()).unwrap();
    assert_empty(&node, "wrong passphrase, reopened");

    let restored = node.import_from_file_with_passphrase(&file, Some(PASSPHRASE)).unwrap();
    assert_eq!(restored, summary);
    assert_same(&node, &nodes[0].node, &ns);
    assert_eq!(node.loans(&LoanFilter::default()).unwrap().len(), 1);
    drop(node);
    let node = Node::open(dir.path()).unwrap();
    assert_same(&node, &nodes[0].node, &ns);
}

#[test]
fn plain_encrypted_and_data_only_exports_are_readable_by_their_owner_only() {
    let (nodes, _) = lending_pair();
    let dir = nodes[0].dir.path();
    let plain = dir.join("plain.json");
    let sealed = dir.join("sealed.partage");
    let data = dir.join("data.json");
    // A file already there with a looser mode is replaced, not rewritten in place.
    for path in [&plain, &sealed, &data] {
        std::fs::write(path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    nodes[0].node.export_to_file(&plain).unwrap();
    nodes[0].node.export_encrypted_with(&sealed, PASSPHRASE, CHEAP).unwrap();
    nodes[0].node.export_data_only(&data).unwrap();
    #[cfg(unix)]
    for path in [&plain, &sealed, &data] {
        assert_eq!(mode(path), 0o600, "{}", path.display());
    }
    for path in [&plain, &sealed, &data] {
        assert_ne!(std::fs::read(path).unwrap(), b"old", "{}", path.display());
    }
    assert!(temp_files_in(dir).is_empty(), "{:?}", temp_files_in(dir));
}

#[test]
fn a_failed_export_leaves_no_temporary_file_and_writes_nothing() {
    let n = TestNode::new("Alice");
    n.node.create_neighbourhood("Rue Haute").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The target is a non-empty directory: writing succeeds, the rename fails.
    let target = dir.path().join("backup.json");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let err = n.node.export_to_file(&target).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    let err = n.node.export_encrypted_with(&target, PASSPHRASE, CHEAP).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(temp_files_in(dir.path()).is_empty(), "{:?}", temp_files_in(dir.path()));

    // Bad passphrases and parameters are refused before anything is written.
    let path = dir.path().join("new.partage");
    let err = n.node.export_encrypted(&path, "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let hostile = KdfParams { memory_kib: 4 * 1024 * 1024, ..KdfParams::DEFAULT };
    let err = n.node.export_encrypted_with(&path, PASSPHRASE, hostile).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!path.exists());
    assert!(temp_files_in(dir.path()).is_empty());
}

#[test]
fn a_flipped_bit_anywhere_in_an_encrypted_export_is_refused_and_the_store_stays_empty() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    nodes[0].node.add_item(&ns, draft("Perceuse")).unwrap();
    let file = nodes[0].dir.path().join("backup.partage");
    nodes[0].node.export_encrypted_with(&file, PASSPHRASE, CHEAP).unwrap();
    let good = std::fs::read(&file).unwrap();
    let (dir, node) = fresh();
    let bad = dir.path().join("bad.partage");
    // Every byte of the header and of the tag, and bytes all through the ciphertext (a stride that
    // keeps this to about a thousand decryptions in a debug build).
    let body = HEADER_LEN..good.len() - 16;
    let stride = (body.len() / 800).max(1);
    let positions: Vec<usize> =
        (0..HEADER_LEN).chain(body.clone().step_by(stride)).chain(body.end - 1..good.len()).collect();
    assert!(positions.len() > 800.min(good.len()), "{} positions of {}", positions.len(), good.len());
    let mut refused = 0;
    for &at in &positions {
        let mut bytes = good.clone();
        bytes[at] ^= 0x01;
        std::fs::write(&bad, &bytes).unwrap();
        let err = node.import_from_file_with_passphrase(&bad, Some(PASSPHRASE)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptExport, "byte {at}: {err}");
        if at >= HEADER_LEN {
            assert!(matches!(err, Error::WrongPassphrase), "byte {at}: {err}");
        }
        refused += 1;
    }
    assert_eq!(refused, positions.len());
    // Truncated anywhere, or extended: refused too.
    for len in [0, 10, MAGIC.len(), HEADER_LEN, HEADER_LEN + 15, good.len() - 1] {
        std::fs::write(&bad, &good[..len]).unwrap();
        let err = node.import_from_file_with_passphrase(&bad, Some(PASSPHRASE)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptExport, "truncated to {len}: {err}");
    }
    let mut longer = good.clone();
    longer.push(0);
    std::fs::write(&bad, &longer).unwrap();
    assert!(matches!(
        node.import_from_file_with_passphrase(&bad, Some(PASSPHRASE)),
        Err(Error::WrongPassphrase)
    ));
    assert_empty(&node, "after every damaged file");
    // The store is still empty and takes the intact file.
    node.import_from_file_with_passphrase(&file, Some(PASSPHRASE)).unwrap();
    assert_same(&node, &nodes[0].node, &ns);
}

/// Offsets of the Argon2 parameters in the header (see `partage::export::sealed`).
const MEMORY_AT: usize = 20;
const ITERATIONS_AT: usize = 24;
const LANES_AT: usize = 28;

#[test]
fn hostile_kdf_parameters_are_refused_before_deriving() {
    let n = TestNode::new("Alice");
    n.node.create_neighbourhood("Rue Haute").unwrap();
    let file = n.dir.path().join("backup.partage");
    n.node.export_encrypted_with(&file, PASSPHRASE, CHEAP).unwrap();
    let good = std::fs::read(&file).unwrap();
    assert_eq!(good[MEMORY_AT..MEMORY_AT + 4], CHEAP.memory_kib.to_le_bytes(), "header layout changed");
    let (dir, node) = fresh();
    let bad = dir.path().join("hostile.partage");
    // Were any of these derived, the import would take gigabytes or minutes and then fail as a
    // wrong passphrase; refused up front, it names what was asked.
    for (what, at, value, says) in [
        ("4 GiB of memory", MEMORY_AT, 4 * 1024 * 1024u32, "4096 MiB of memory"),
        ("a million passes", ITERATIONS_AT, 1_000_000, "1000000 passes"),
        ("255 lanes", LANES_AT, 255, "255 lanes"),
        ("256 MiB x 10 passes", MEMORY_AT, 256 * 1024, "x"),
    ] {
        let mut bytes = good.clone();
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        if what.starts_with("256") {
            bytes[ITERATIONS_AT..ITERATIONS_AT + 4].copy_from_slice(&10u32.to_le_bytes());
        }
        std::fs::write(&bad, &bytes).unwrap();
        let err = node.import_from_file_with_passphrase(&bad, Some(PASSPHRASE)).unwrap_err();
        assert!(matches!(err, Error::UnlockTooCostly(_)), "{what}: {err}");
        assert!(err.to_string().contains(says), "{what}: {err}");
        assert_eq!(err.kind(), ErrorKind::CorruptExport);
        // Refused even without a passphrase: the header is judged first.
        let err = node.import_from_file(&bad).unwrap_err();
        assert!(matches!(err, Error::UnlockTooCostly(_)), "{what}, no passphrase: {err}");
    }
    // A file far larger than any export is refused before it is read (a sparse file).
    let huge = std::fs::File::create(&bad).unwrap();
    std::io::Write::write_all(&mut &huge, &good[..HEADER_LEN]).unwrap();
    huge.set_len(partage::export::MAX_SEALED_BYTES + 1).unwrap();
    drop(huge);
    let err = node.import_from_file_with_passphrase(&bad, Some(PASSPHRASE)).unwrap_err();
    assert!(matches!(err, Error::CorruptExport(ref m) if m.contains("more than any real export")), "{err}");
    assert_empty(&node, "hostile files");
}

#[test]
fn a_data_only_export_holds_my_data_and_no_secret_and_is_not_a_backup() {
    let (nodes, ns) = lending_pair();
    let alice = &nodes[0].node;
    let file = nodes[0].dir.path().join("my-data.json");
    let summary = alice.export_data_only(&file).unwrap();
    assert_eq!((summary.neighbourhoods, summary.items, summary.loans), (1, 2, 1));
    let text = std::fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format"], "partage-data");
    assert_eq!(json["me"]["name"], "Alice");
    assert_eq!(json["neighbourhoods"][0]["name"], "Rue des Lilas");
    let titles: Vec<&str> =
        json["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"Perceuse à percussion") && titles.contains(&"Escabeau"), "{titles:?}");
    let drill =
        json["items"].as_array().unwrap().iter().find(|i| i["title"] == "Perceuse à percussion").unwrap();
    assert_eq!(drill["description"], "18 V, deux batteries");
    assert_eq!(drill["deposit_cents"], 3000);
    assert_eq!(drill["tags"][0], "bricolage");
    let loan = &json["loans"][0];
    assert_eq!(loan["item_title"], "Perceuse à percussion");
    assert_eq!(loan["borrower_name"], "Bob");
    assert_eq!(loan["state"], "accepted");
    assert_eq!(loan["message"], "pour les étagères");
    assert_eq!(loan["answer_message"], "passe samedi");
    assert_eq!(loan["from"], format_day(today() + 1));

    for secret in secrets_hex(alice) {
        assert!(!text.to_lowercase().contains(&secret), "a secret key is in the data-only export");
    }
    assert!(!text.contains("_secret"), "a secret field is in the data-only export");
    assert!(!text.contains("Tente 4 places"), "another member's item is in the data-only export");
    // Bob's own data-only export has his tent and the loan, not Alice's items.
    let bob_file = nodes[1].dir.path().join("bob.json");
    nodes[1].node.export_data_only(&bob_file).unwrap();
    let bob = std::fs::read_to_string(&bob_file).unwrap();
    assert!(bob.contains("Tente 4 places") && !bob.contains("Escabeau"));
    assert!(bob.contains("pour les étagères"), "the loan Bob borrows is his data too");

    let (_dir, node) = fresh();
    let err = node.import_from_file(&file).unwrap_err();
    assert!(matches!(err, Error::DataOnlyNotABackup), "{err}");
    assert!(err.to_string().contains("not a backup"), "{err}");
    assert_empty(&node, "data-only import");
    // The store is untouched: a real backup still goes in.
    let backup = nodes[0].dir.path().join("backup.json");
    alice.export_to_file(&backup).unwrap();
    node.import_from_file(&backup).unwrap();
    assert_same(&node, alice, &ns);
}
