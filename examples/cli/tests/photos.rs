//! `item add|edit --photo PATH` and `item photo ID --out FILE [--thumbnail]`, as a user runs
//! them: separate processes, files on disk.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_partage");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("--data-dir").arg(dir).args(args).output().expect("spawn partage")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(o.status.success(), "partage {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

fn jpeg(path: &Path, w: u32, h: u32) {
    image::RgbImage::from_fn(w, h, |x, _| image::Rgb(if x < w / 2 { [200, 0, 0] } else { [0, 0, 200] }))
        .save(path)
        .unwrap();
}

#[test]
fn photos_are_added_with_items_and_saved_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(&d, &["init", "--name", "Alice"]);
    ok(&d, &["neighbourhood", "create", "Rue des Lilas"]);
    let (a, b) = (dir.path().join("a.jpg"), dir.path().join("b.png"));
    jpeg(&a, 3000, 1500);
    jpeg(&b, 40, 80);
    let a_str = a.to_str().unwrap();
    let id =
        ok(&d, &["item", "add", "--title", "Perceuse", "--photo", a_str, "--photo", b.to_str().unwrap()]);

    let out = dir.path().join("first.jpg");
    ok(&d, &["item", "photo", &id, "--out", out.to_str().unwrap()]);
    let img = image::open(&out).unwrap();
    assert_eq!((img.width(), img.height()), (2048, 1024), "downscaled original");
    let thumb = dir.path().join("second-thumb.jpg");
    ok(&d, &["item", "photo", &id, "--index", "2", "--thumbnail", "--out", thumb.to_str().unwrap()]);
    assert_eq!(image::open(&thumb).unwrap().height(), 80, "small images are not enlarged");

    // A file that is not an image adds nothing, not even the item.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a photo").unwrap();
    let o = run(&d, &["item", "add", "--title", "Scie", "--photo", text.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("JPEG, PNG or WebP") && err.contains("not added"), "{err}");
    assert!(!ok(&d, &["item", "list"]).contains("Scie"));
    // A missing photo index says how many there are.
    let o = run(&d, &["item", "photo", &id, "--index", "3", "--out", out.to_str().unwrap()]);
    assert!(String::from_utf8(o.stderr).unwrap().contains("has 2 photo(s)"));
    // edit --photo adds one more.
    ok(&d, &["item", "edit", &id, "--photo", a_str]);
    let json = ok(&d, &["--json", "item", "show", &id]);
    assert!(json.contains(&"\"photos\"".to_string()));
}
