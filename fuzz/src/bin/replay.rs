//! Runs saved inputs through a target's harness without AFL: to reproduce a crash (with a
//! backtrace), to time a target, or to turn bundle inputs into the `DocBundle`s the regression
//! test reads.
//!
//! `replay TARGET [--dump DIR] [--time] FILE|DIR...`
//! - prints one line per input: `ok`, `refused: <error>` or `not parsed` (session: how the
//!   session went);
//! - `--dump DIR` (bundle only) writes each input's bundle, postcard-encoded, as DIR/<name>.bundle,
//!   and runs nothing (the inputs may crash or hang);
//! - `--time` runs every input 100 times and prints executions per second.

use partage_fuzz::bundle::{self, BundleTarget, Fixture, fixtures_dir};
use partage_fuzz::export::ExportTarget;
use partage_fuzz::session::{SessionFixture, SessionTarget};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: replay TARGET [--dump DIR] [--time] FILE|DIR...");
    let (mut dump, mut time, mut files) = (None, false, Vec::<PathBuf>::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dump" => dump = Some(PathBuf::from(args.next().expect("--dump DIR"))),
            "--time" => time = true,
            _ => {
                let p = PathBuf::from(a);
                if p.is_dir() {
                    let mut inner: Vec<PathBuf> = std::fs::read_dir(&p)
                        .expect("read dir")
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.is_file())
                        .collect();
                    inner.sort();
                    files.extend(inner);
                } else {
                    files.push(p);
                }
            }
        }
    }
    let mut bundle_target = None;
    let mut export_target = None;
    let mut session_target = None;
    let mut run = |data: &[u8]| -> String {
        match target.as_str() {
            "frame" => {
                partage_fuzz::frame::run(data);
                match partage_net::wire::decode(data) {
                    Ok(m) => format!("ok ({})", m.name()),
                    Err(e) => format!("refused: {e}"),
                }
            }
            "ticket" => {
                partage_fuzz::ticket::run(data);
                String::from("done")
            }
            "bundle" => {
                let t =
                    bundle_target.get_or_insert_with(|| BundleTarget::new(Fixture::load(&fixtures_dir())));
                match t.run(data) {
                    Ok(r) => format!("ok ({r:?})"),
                    Err(e) => format!("refused: {e}"),
                }
            }
            "export" => match export_target.get_or_insert_with(ExportTarget::new).run(data) {
                Some(Ok(s)) => format!("ok ({s:?})"),
                Some(Err(e)) => format!("refused: {e}"),
                None => String::from("not parsed"),
            },
            "session" => session_target
                .get_or_insert_with(|| SessionTarget::new(SessionFixture::load(&fixtures_dir())))
                .run(data),
            other => panic!("unknown target {other} (frame, ticket, bundle, export, session)"),
        }
    };
    let fx = (dump.is_some() && target == "bundle").then(|| Fixture::load(&fixtures_dir()));
    let start = Instant::now();
    let mut runs = 0u64;
    for f in &files {
        let data = std::fs::read(f).expect("read input");
        if let (Some(dir), Some(fx)) = (&dump, &fx) {
            std::fs::create_dir_all(dir).expect("create dump dir");
            let name = f.file_name().expect("file name").to_string_lossy().into_owned();
            let b = bundle::build(fx, &data);
            std::fs::write(dir.join(format!("{name}.bundle")), postcard::to_allocvec(&b).expect("encode"))
                .expect("write bundle");
            println!("{}: dumped", f.display());
            continue;
        }
        let n = if time { 100 } else { 1 };
        let mut last = String::new();
        for _ in 0..n {
            last = run(&data);
            runs += 1;
        }
        if !time {
            println!("{}: {last}", f.display());
        }
    }
    if time {
        let secs = start.elapsed().as_secs_f64();
        println!("{runs} runs of {} inputs in {secs:.2} s: {:.0} execs/s", files.len(), runs as f64 / secs);
    }
    drop(bundle_target);
    drop(export_target);
    drop(session_target);
    partage_fuzz::work::cleanup(&target);
}
