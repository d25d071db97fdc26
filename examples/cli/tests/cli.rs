//! The `partage` binary as a user runs it: separate processes, separate data directories,
//! exit codes, stdout and the one-line stderr contract.

// Test code: a failed step should stop the test loudly (the workspace lints target library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_partage");

/// Linux refuses a single argument longer than 128 KiB, so "huge" on a command line means this.
const BIG_ARG: usize = 100_000;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("--data-dir").arg(dir).args(args).output().expect("spawn partage")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

/// Runs a command that must succeed and returns its stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(o.status.success(), "partage {args:?} failed ({:?}): {}", o.status.code(), stderr(&o));
    stdout(&o)
}

/// Runs a command that must fail with exactly one `error: ...` line on stderr; returns that line.
fn fails(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(!o.status.success(), "partage {args:?} should have failed");
    assert!(matches!(o.status.code(), Some(1) | Some(2)), "exit code {:?}", o.status.code());
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "stderr must be one line, got {err:?}");
    assert!(lines[0].starts_with("error: "), "stderr: {err:?}");
    lines[0].to_owned()
}

/// The stdout of a command that prints one value alone on its line.
fn single_line(out: &str) -> String {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got {out:?}");
    lines[0].trim().to_owned()
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn items_json(dir: &Path) -> Vec<Value> {
    let out = ok(dir, &["--json", "item", "list"]);
    match serde_json::from_str(&out).expect("item list --json is JSON") {
        Value::Array(items) => items,
        other => panic!("expected an array, got {other}"),
    }
}

/// A founder with a neighbourhood and one item; returns (dir, neighbourhood id, item id).
fn founder() -> (TempDir, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let member = single_line(&ok(dir.path(), &["init", "--name", "Alice"]));
    assert!(is_hex(&member, 64), "member id {member:?}");
    let ns = single_line(&ok(dir.path(), &["neighbourhood", "create", "Rue des Lilas"]));
    assert!(is_hex(&ns, 64), "neighbourhood id {ns:?}");
    let item = single_line(&ok(
        dir.path(),
        &[
            "item",
            "add",
            "--neighbourhood",
            &ns,
            "--title",
            "Échelle double",
            "--category",
            "diy",
            "--tag",
            "escabeau",
            "--deposit-cents",
            "2000",
        ],
    ));
    assert!(is_hex(&item, 32), "item id {item:?}");
    (dir, ns, item)
}

#[test]
fn full_walkthrough_across_two_data_dirs() {
    let (alice, ns, ladder) = founder();
    let a = alice.path();

    // Invite, then a second data directory joins with the ticket.
    let ticket = single_line(&ok(a, &["neighbourhood", "invite", &ns]));
    assert!(ticket.starts_with("partage2"), "ticket {ticket:?}");
    let bob = tempfile::tempdir().expect("temp dir");
    let b = bob.path();
    ok(b, &["init", "--name", "Bob"]);
    let joined = ok(b, &["neighbourhood", "join", &ticket]);
    assert!(joined.contains("Rue des Lilas"), "join output {joined:?}");
    let list: Value = serde_json::from_str(&ok(b, &["--json", "neighbourhood", "list"])).expect("json");
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], ns.as_str());
    assert_eq!(list[0]["name"], "Rue des Lilas");
    assert_eq!(list[0]["admin"], false);
    for key in ["members", "items", "joined_at"] {
        assert!(list[0][key].is_u64(), "{key} in {}", list[0]);
    }
    // Bob is in exactly one neighbourhood, so --neighbourhood may be omitted.
    let raclette =
        single_line(&ok(b, &["item", "add", "--title", "Appareil à raclette", "--category", "kitchen"]));
    assert!(is_hex(&raclette, 32));

    // Alice's list --json carries the contract fields.
    let items = items_json(a);
    assert_eq!(items.len(), 1);
    let it = &items[0];
    for key in [
        "id",
        "neighbourhood",
        "owner",
        "title",
        "description",
        "category",
        "tags",
        "condition",
        "photos",
        "deposit_cents",
        "max_loan_days",
        "available",
        "created_at",
        "updated_at",
        "owner_name",
    ] {
        assert!(it.get(key).is_some(), "missing {key} in {it}");
    }
    assert_eq!(it["id"], ladder.as_str());
    assert_eq!(it["neighbourhood"], ns.as_str());
    assert_eq!(it["title"], "Échelle double");
    assert_eq!(it["category"], "diy");
    assert_eq!(it["tags"], serde_json::json!(["escabeau"]));
    assert_eq!(it["condition"], "good");
    assert_eq!(it["deposit_cents"], 2000);
    assert_eq!(it["max_loan_days"], 14);
    assert_eq!(it["available"], true);
    assert_eq!(it["owner_name"], "Alice");

    // Search is accent- and case-insensitive.
    let hits: Value = serde_json::from_str(&ok(a, &["--json", "item", "search", "echel"])).expect("json");
    assert_eq!(hits.as_array().map(Vec::len), Some(1));
    assert_eq!(hits[0]["title"], "Échelle double");
    let human = ok(a, &["item", "search", "ECHEL"]);
    assert!(human.contains("Échelle double"), "{human}");
    assert!(ok(a, &["item", "search", "raclette"]).contains("(no items)"));

    // Edit by unique prefix, then pause / resume / show / rm.
    let prefix = &ladder[..6];
    ok(a, &["item", "edit", prefix, "--title", "Échelle double 3 m", "--condition", "fair"]);
    let shown: Value = serde_json::from_str(&ok(a, &["--json", "item", "show", &ladder])).expect("json");
    assert_eq!(shown["title"], "Échelle double 3 m");
    assert_eq!(shown["condition"], "fair");
    assert_eq!(shown["tags"], serde_json::json!(["escabeau"]));

    let paused = ok(a, &["item", "pause", prefix]);
    assert!(paused.contains("(paused)"), "{paused}");
    assert_eq!(items_json(a)[0]["available"], false);
    let available: Value =
        serde_json::from_str(&ok(a, &["--json", "item", "list", "--available"])).expect("json");
    assert_eq!(available, serde_json::json!([]));
    let line = ok(a, &["item", "list"]);
    assert!(line.starts_with(&ladder[..8]) && line.contains("[diy]") && line.contains("(paused)"), "{line}");
    ok(a, &["item", "resume", prefix]);
    assert_eq!(items_json(a)[0]["available"], true);
    assert!(ok(a, &["item", "show", prefix]).contains("status:        available"));

    // Owner filter: "me" and Bob's own id.
    assert_eq!(
        serde_json::from_str::<Value>(&ok(a, &["--json", "item", "list", "--owner", "me"]))
            .expect("json")
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    ok(a, &["item", "rm", prefix]);
    assert!(items_json(a).is_empty());
    let gone = fails(a, &["item", "show", &ladder]);
    assert!(gone.contains("unknown item"), "{gone}");

    // Members and leave on Bob's side.
    let members = ok(b, &["neighbourhood", "members", &ns[..8]]);
    assert!(members.contains("Bob") && members.contains("(you)"), "{members}");
    let left = ok(b, &["neighbourhood", "leave", &ns]);
    assert!(left.contains("your neighbours learn it at your next sync"), "{left}");
    assert!(items_json(b).is_empty());
    assert_eq!(ok(b, &["--json", "neighbourhood", "list"]).trim(), "[]");
    // Leaving again forgets the departure kept to hand on.
    let forgotten = ok(b, &["neighbourhood", "leave", &ns]);
    assert!(forgotten.contains("was erased from this device"), "{forgotten}");
    // Alice forgets the history of her removed ladder on demand too.
    let rebased = ok(a, &["neighbourhood", "forget-history", &ns[..8]]);
    assert!(rebased.contains("forgotten"), "{rebased}");
}

#[test]
fn bad_inputs_fail_cleanly_and_change_nothing() {
    let (alice, ns, item) = founder();
    let a = alice.path();
    let before = ok(a, &["--json", "item", "list"]);
    let nb_before = ok(a, &["--json", "neighbourhood", "list"]);
    let ticket = single_line(&ok(a, &["neighbourhood", "invite", &ns]));
    let huge = "x".repeat(BIG_ARG);
    let unknown_prefix = if item.starts_with("ffff") { "0000" } else { "ffff" };

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["item", "add", "--title", "   "], "title is empty"),
        (vec!["item", "add", "--title", &huge], "title is too long"),
        (
            vec!["item", "add", "--title", "Luge", "--category", "spaceships"],
            "unknown category \"spaceships\"",
        ),
        (vec!["item", "add", "--title", "Luge", "--condition", "shiny"], "unknown condition"),
        (vec!["item", "add", "--title", "Luge", "--max-loan-days", "0"], "between 1 and 365"),
        (vec!["item", "edit", &item, "--title", ""], "title is empty"),
        (vec!["item", "edit", &item, "--category", "spaceships"], "unknown category"),
        (vec!["item", "pause", "0123456789abcdef0123456789abcdef"], "unknown item"),
        (vec!["item", "edit", unknown_prefix, "--title", "x"], "no item"),
        (vec!["item", "rm", "ab"], "too short"),
        (vec!["item", "show", "not-hex"], "not a valid item id"),
        (vec!["neighbourhood", "join", "hello"], "not a Partage ticket"),
        (vec!["neighbourhood", "join", &ticket[..ticket.len() / 2]], "damaged or incomplete"),
        (vec!["neighbourhood", "invite", &ns, "--expires-in-days", "0"], "expiry"),
        (vec!["init", "--name", "Alice again"], "already has an identity"),
    ];
    for (args, expected) in &cases {
        let line = fails(a, args);
        assert!(
            line.contains(expected),
            "partage {:?}: expected {expected:?} in {line:?}",
            &args[..args.len().min(3)]
        );
        assert_eq!(ok(a, &["--json", "item", "list"]), before, "store changed after {args:?}");
        assert_eq!(ok(a, &["--json", "neighbourhood", "list"]), nb_before);
    }

    // Usage errors from the argument parser follow the same one-line rule (exit code 2).
    for args in [
        vec!["item", "add"],
        vec!["item", "add", "--title", "x", "--deposit-cents", "lots"],
        vec!["frobnicate"],
        vec!["item"],
    ] {
        let o = run(a, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        fails(a, &args);
    }
    assert_eq!(ok(a, &["--json", "item", "list"]), before);
}

#[test]
fn short_prefixes_resolve_to_the_one_matching_item() {
    // (Ambiguous prefixes are covered by the unit tests of `resolve`: a collision of 4 random
    // hex characters would need hundreds of items here.)
    let (alice, _ns, first) = founder();
    let a = alice.path();
    let second = single_line(&ok(a, &["item", "add", "--title", "Tente 4 places"]));
    let n = (4..32).find(|&n| first[..n] != second[..n]).expect("distinct ids");
    let shown = ok(a, &["item", "show", &second[..n]]);
    assert!(shown.contains("Tente 4 places"), "{shown}");
    assert!(shown.contains(&second), "{shown}");
    assert!(fails(a, &["item", "show", ""]).contains("empty"));
}

#[test]
fn export_import_round_trip_and_corrupt_files() {
    let (alice, _ns, _item) = founder();
    let a = alice.path();
    let work = tempfile::tempdir().expect("temp dir");
    let file = work.path().join("alice.json");
    let file_arg = file.to_str().expect("utf-8 path");
    let summary = ok(a, &["export", file_arg]);
    assert!(summary.contains("1 item(s)"), "{summary}");

    // Importing into a data directory that already has data is refused.
    assert!(fails(a, &["import", file_arg]).contains("empty data directory"));

    // A clean import reproduces the same inventory.
    let restored = tempfile::tempdir().expect("temp dir");
    ok(restored.path(), &["import", file_arg]);
    assert_eq!(ok(restored.path(), &["--json", "item", "list"]), ok(a, &["--json", "item", "list"]));

    // Corrupt files: truncated JSON, a tampered document, garbage. Each is refused, and the
    // target stays empty (it can still be initialised afterwards).
    let text = std::fs::read_to_string(&file).expect("read export");
    let mut doc: Value = serde_json::from_str(&text).expect("export is JSON");
    let snapshot = doc["documents"][0]["snapshot"].as_str().expect("snapshot").to_owned();
    let mut chars: Vec<char> = snapshot.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    doc["documents"][0]["snapshot"] = Value::String(chars.into_iter().collect());
    let variants = [
        ("truncated.json", text[..text.len() / 2].to_owned()),
        ("tampered.json", doc.to_string()),
        ("garbage.json", "\u{0}\u{1}not json at all".to_owned()),
    ];
    for (name, content) in variants {
        let bad = work.path().join(name);
        std::fs::write(&bad, content).expect("write");
        let target = tempfile::tempdir().expect("temp dir");
        let line = fails(target.path(), &["import", bad.to_str().expect("utf-8")]);
        assert!(line.contains("export file is not usable"), "{name}: {line}");
        assert_eq!(ok(target.path(), &["--json", "item", "list"]).trim(), "[]");
        assert_eq!(ok(target.path(), &["--json", "neighbourhood", "list"]).trim(), "[]");
        ok(target.path(), &["init", "--name", "Fresh"]);
    }
    let missing = work.path().join("missing.json");
    let empty = tempfile::tempdir().expect("temp dir");
    assert!(fails(empty.path(), &["import", missing.to_str().expect("utf-8")]).contains("could not read"));
}

/// Runs `partage` with the passphrase (if any) on stdin or in `PARTAGE_PASSPHRASE`.
fn run_with_passphrase(dir: &Path, args: &[&str], stdin: Option<&str>, env: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(dir).args(args).env_remove("PARTAGE_PASSPHRASE");
    if let Some(value) = env {
        cmd.env("PARTAGE_PASSPHRASE", value);
    }
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn partage");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(line) = stdin {
        // The child may exit without reading (a plain file): a broken pipe is fine.
        let _ = pipe.write_all(line.as_bytes());
    }
    drop(pipe);
    child.wait_with_output().expect("wait for partage")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// The store holds the secret keys on a desktop: the data directory is the user's alone.
#[cfg(unix)]
#[test]
fn the_data_directory_is_0700_and_its_files_0600() {
    let root = TempDir::new().unwrap();
    let dir = root.path().join("fresh");
    ok(&dir, &["init", "--name", "Alice"]);
    assert_eq!(mode(&dir), 0o700, "data directory");
    let files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    assert!(!files.is_empty(), "the store file exists");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    // A directory made by someone else with wider modes is narrowed on the next run.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&files[0], std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    ok(&dir, &["whoami"]);
    assert_eq!(mode(&dir), 0o700, "data directory after a run");
    assert_eq!(mode(&files[0]), 0o600, "store after a run");
}

#[test]
fn encrypted_and_data_only_exports_take_the_passphrase_from_env_or_stdin_never_argv() {
    let (alice, _ns, _item) = founder();
    let a = alice.path();
    let work = tempfile::tempdir().expect("temp dir");
    let sealed = work.path().join("alice.partage");
    let sealed_arg = sealed.to_str().expect("utf-8 path");

    // --encrypt with the variable; the file is the owner's only and holds no readable JSON.
    let o = run_with_passphrase(a, &["export", sealed_arg, "--encrypt"], None, Some("sel et poivre"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 item(s)"), "{}", stdout(&o));
    let bytes = std::fs::read(&sealed).expect("read");
    assert!(bytes.starts_with(b"partage-encrypted\n"));
    assert!(!String::from_utf8_lossy(&bytes).contains("Échelle"));
    #[cfg(unix)]
    assert_eq!(mode(&sealed), 0o600);
    // No passphrase anywhere: refused with what to do, and the help says where it comes from.
    let o = run_with_passphrase(a, &["export", sealed_arg, "--encrypt"], None, None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("PARTAGE_PASSPHRASE"), "{}", stderr(&o));
    let help = ok(a, &["export", "--help"]);
    assert!(
        help.contains("PARTAGE_PASSPHRASE") && help.contains("--data-only") && help.contains("--encrypt"),
        "{help}"
    );
    assert!(fails(a, &["export", sealed_arg, "--encrypt", "--data-only"]).contains("cannot be used with"));

    // Import: no passphrase, then a wrong one on stdin: refused, the target stays empty.
    let target = tempfile::tempdir().expect("temp dir");
    let t = target.path();
    let o = run_with_passphrase(t, &["import", sealed_arg], None, None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("needs a passphrase"), "{}", stderr(&o));
    let o = run_with_passphrase(t, &["import", sealed_arg], Some("sel et sucre\n"), None);
    assert!(!o.status.success());
    assert_eq!(stderr(&o).trim(), "error: wrong passphrase, or the file was damaged");
    assert_eq!(ok(t, &["--json", "item", "list"]).trim(), "[]");
    // The right one on stdin restores everything.
    let o = run_with_passphrase(t, &["import", sealed_arg], Some("sel et poivre\n"), None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(ok(t, &["--json", "item", "list"]), ok(a, &["--json", "item", "list"]));

    // --data-only: readable, owner-only, no secret, and import refuses it.
    let data = work.path().join("alice-data.json");
    let data_arg = data.to_str().expect("utf-8 path");
    let line = ok(a, &["export", data_arg, "--data-only"]);
    assert!(line.contains("1 item(s)") && line.contains("not a backup"), "{line}");
    #[cfg(unix)]
    assert_eq!(mode(&data), 0o600);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&data).expect("read")).expect("JSON");
    assert_eq!(json["items"][0]["title"], "Échelle double");
    assert_eq!(json["me"]["name"], "Alice");
    assert!(!json.to_string().contains("_secret"));
    let empty = tempfile::tempdir().expect("temp dir");
    assert!(fails(empty.path(), &["import", data_arg]).contains("not a backup"));
    // A plain export is still written owner-only.
    let plain = work.path().join("alice.json");
    ok(a, &["export", plain.to_str().expect("utf-8 path")]);
    #[cfg(unix)]
    assert_eq!(mode(&plain), 0o600);
}

#[test]
fn commands_before_init_say_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let line = fails(dir.path(), &["neighbourhood", "create", "Rue des Lilas"]);
    assert!(line.contains("partage init"), "{line}");
    let line = fails(dir.path(), &["item", "add", "--title", "Luge"]);
    assert!(line.contains("not in any neighbourhood"), "{line}");
}

#[test]
fn json_flag_turns_printed_values_into_objects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let me: Value = serde_json::from_str(&ok(d, &["--json", "init", "--name", "Zoé"])).expect("json");
    assert_eq!(me["name"], "Zoé");
    let ns: Value =
        serde_json::from_str(&ok(d, &["--json", "neighbourhood", "create", "Impasse"])).expect("json");
    let id = ns["id"].as_str().expect("id");
    assert!(is_hex(id, 64) && ns["admin"] == true, "{ns}");
    let t: Value = serde_json::from_str(&ok(d, &["--json", "neighbourhood", "invite", id])).expect("json");
    assert!(t["ticket"].as_str().is_some_and(|t| t.starts_with("partage2")), "{t}");
    let item: Value =
        serde_json::from_str(&ok(d, &["--json", "item", "add", "--title", "Luge"])).expect("json");
    assert_eq!(item["title"], "Luge");
    assert_eq!(item["owner"], me["member"]);
}

#[test]
fn invite_can_draw_a_qr_code() {
    let (alice, ns, _item) = founder();
    let out = ok(alice.path(), &["neighbourhood", "invite", &ns, "--qr"]);
    let mut lines = out.lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("partage2")));
    let qr: Vec<&str> = lines.collect();
    assert!(qr.len() > 10, "QR code too small: {out}");
    assert!(qr.iter().all(|l| l.chars().all(|c| " ▀▄█".contains(c))));
}

#[test]
fn demo_runs_and_replicates() {
    let o = Command::new(BIN).arg("demo").output().expect("spawn");
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "libp2p node on 127.0.0.1",
        "Échelle double",
        "refused: item",
        "Bob sees the drill as paused after",
        "Chloé sees the drill as paused after",
        "Chloé sees the loan as closed after",
        " ms",
    ] {
        assert!(out.contains(expected), "demo output lacks {expected:?}:\n{out}");
    }
}

#[test]
fn loan_commands_validate_and_list() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    ok(d, &["init", "--name", "Alice"]);
    ok(d, &["neighbourhood", "create", "Rue des Lilas"]);
    let item = single_line(&ok(d, &["item", "add", "--title", "Perceuse"]));
    let err = fails(d, &["loan", "request", &item, "--from", "2099-01-01", "--until", "2099-01-02"]);
    assert_eq!(err, "error: you cannot borrow your own item");
    let err = fails(d, &["loan", "request", &item, "--from", "demain", "--until", "2099-01-02"]);
    assert_eq!(err, "error: \"demain\" is not a date (use YYYY-MM-DD, e.g. 2026-12-01)");
    let err = fails(d, &["loan", "accept", "abcd1234"]);
    assert_eq!(err, "error: no loan with an id starting with \"abcd1234\"");
    assert_eq!(ok(d, &["--json", "loan", "list"]).trim(), "[]");
    assert_eq!(ok(d, &["--json", "reminders"]).trim(), "[]");
    assert_eq!(ok(d, &["reminders", "--on", "2099-01-01"]).trim(), "nothing to remind you of");
}

/// `item import`: a spreadsheet's CSV (`;`, French column names, decimal commas) and a JSON
/// list; every bad row reported with its line and nothing added; a dry run adds nothing.
#[test]
fn item_import_is_all_or_nothing_with_per_row_errors() {
    let dir = TempDir::new().expect("temp dir");
    let d = dir.path();
    ok(d, &["init", "--name", "Outilthèque"]);
    ok(d, &["neighbourhood", "create", "Rue des Lilas"]);
    let count = |d: &Path| {
        ok(d, &["--json", "item", "list"]).parse::<Value>().expect("json").as_array().unwrap().len()
    };

    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "Nom;Description;Catégorie;Caution;État\n\
         Perceuse;Bosch 18 V;tools;12,50;good\n\
         ;sans titre;tools;;good\n\
         Tente;4 places;spaceship;;good\n\
         Échelle;3 m;diy;douze;fair\n",
    )
    .unwrap();
    let o = run(d, &["item", "import", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(out.contains("line 3: title is empty"), "{out}");
    assert!(out.contains("line 4: unknown category \"spaceship\""), "{out}");
    assert!(out.contains("line 5: deposit \"douze\" is not an amount"), "{out}");
    assert!(stderr(&o).contains("3 of 4 rows cannot be imported; nothing was added"), "{}", stderr(&o));
    assert_eq!(count(d), 0, "a refused file added items");

    let good = d.join("catalogue.csv");
    let mut csv = String::from("Designation;Notes;Catégorie;Caution;Tags\n");
    for i in 0..120 {
        csv.push_str(&format!("Outil {i};rangé au fond;diy;{i},5;atelier, prêt\n"));
    }
    std::fs::write(&good, csv).unwrap();
    // The title column has an unusual name: it must be mapped.
    assert!(fails(d, &["item", "import", good.to_str().unwrap()]).contains("--map title="));
    let args = ["item", "import", good.to_str().unwrap(), "--map", "title=designation"];
    let dry = ok(d, &[&args[..], &["--dry-run"]].concat());
    assert!(dry.contains("would add 120 items"), "{dry}");
    assert_eq!(count(d), 0, "a dry run added items");
    let done: Value = serde_json::from_str(&ok(d, &[&["--json"][..], &args[..]].concat())).expect("json");
    assert_eq!(done["added"], 120);
    let items: Value = serde_json::from_str(&ok(d, &["--json", "item", "search", "outil 7"])).expect("json");
    let first = &items.as_array().unwrap()[0];
    assert_eq!(first["title"], "Outil 7");
    assert_eq!(first["deposit_cents"], 750);
    assert_eq!(first["tags"], serde_json::json!(["atelier", "prêt"]));

    // Paged search: one page, the total, and where the next page starts.
    let page: Value = serde_json::from_str(&ok(
        d,
        &["--json", "item", "search", "outil", "--limit", "5", "--offset", "10"],
    ))
    .expect("json");
    assert_eq!((page["total"].as_u64(), page["items"].as_array().map(Vec::len)), (Some(120), Some(5)));
    let text = ok(d, &["item", "search", "outil", "--limit", "5"]);
    assert!(text.contains("(1 to 5 of 120; next: --offset 5)"), "{text}");

    let json = d.join("more.json");
    std::fs::write(
        &json,
        r#"[{"title": "Luge", "category": "sports", "tags": ["hiver"]}, {"title": "Raquettes"}]"#,
    )
    .unwrap();
    let done: Value =
        serde_json::from_str(&ok(d, &["--json", "item", "import", json.to_str().unwrap()])).expect("json");
    assert_eq!(done["added"], 2);
    assert_eq!(count(d), 122);
}
