//! Helpers for the multi-process network scenarios: `partage` commands, long-running
//! `partage run --json` processes whose event lines are read as they come, clean shutdown.
#![allow(dead_code)]

pub mod lan;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_partage");
/// Upper bound of any wait (a timeout, not a measurement).
pub const WAIT: Duration = Duration::from_secs(90);

/// Runs `partage --data-dir dir args…`, which must succeed; returns stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(BIN).arg("--data-dir").arg(dir).args(args).output().expect("spawn partage");
    assert!(
        o.status.success(),
        "partage {args:?} failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

/// Runs `partage --data-dir dir args…` whatever its outcome; returns (success, stdout, stderr).
pub fn attempt(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let o = Command::new(BIN)
        .envs(env.iter().copied())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("spawn partage");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (o.status.success(), text(o.stdout), text(o.stderr))
}

pub fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, &all)).expect("JSON output")
}

/// Item titles in a data directory, sorted.
pub fn titles(dir: &Path) -> Vec<String> {
    let Value::Array(items) = json(dir, &["item", "list"]) else { panic!("an array") };
    let mut t: Vec<String> =
        items.iter().map(|i| i["title"].as_str().unwrap_or_default().to_string()).collect();
    t.sort();
    t
}

/// Three neighbours in `root`: Alice founds "Rue des Lilas", Bob and Chloé join by ticket, each
/// adds one item. Returns their data directories.
pub fn three_neighbours(root: &Path) -> [PathBuf; 3] {
    let dirs = ["alice", "bob", "chloe"].map(|n| root.join(n));
    for (dir, name) in dirs.iter().zip(["Alice", "Bob", "Chloé"]) {
        ok(dir, &["init", "--name", name]);
    }
    let ns =
        json(&dirs[0], &["neighbourhood", "create", "Rue des Lilas"])["id"].as_str().unwrap().to_string();
    for guest in &dirs[1..] {
        let ticket =
            json(&dirs[0], &["neighbourhood", "invite", &ns])["ticket"].as_str().unwrap().to_string();
        ok(guest, &["neighbourhood", "join", &ticket]);
    }
    for (dir, title) in dirs.iter().zip(["Perceuse", "Raclette", "Tente"]) {
        ok(dir, &["item", "add", "--title", title]);
    }
    dirs
}

/// A `partage run --json` process, its event lines arriving on a channel.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<Value>,
    pub seen: Vec<Value>,
}

impl Running {
    /// `prefix` runs before the binary (e.g. `ip netns exec NAME`).
    pub fn start(prefix: &[&str], dir: &Path, args: &[&str]) -> Running {
        Running::start_with_env(prefix, &[], dir, args)
    }

    /// Like [`Running::start`], with extra environment variables for the process.
    pub fn start_with_env(prefix: &[&str], env: &[(&str, &str)], dir: &Path, args: &[&str]) -> Running {
        let mut cmd = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        cmd.envs(env.iter().copied()).arg("--data-dir").arg(dir).arg("--json").arg("run").args(args);
        let mut child =
            cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn partage run");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Running { child, lines, seen: Vec::new() }
    }

    /// Waits for an event line matching `pred` (remembering every line seen).
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return v.clone();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!("timed out waiting for {what}; saw {:#?}", self.seen),
            }
        }
    }

    /// The address it listens on (first `listening` event).
    pub fn address(&mut self) -> String {
        let v = self.wait_for("a listen address", |v| v["event"] == "listening");
        v["addr"].as_str().expect("addr").to_string()
    }

    /// Items it saw arrive, by title.
    pub fn wait_for_item(&mut self, title: &str) {
        self.wait_for(&format!("item \"{title}\""), |v| {
            (v["event"] == "item_added" || v["event"] == "item_updated") && v["item"]["title"] == title
        });
    }

    /// Asks the process to stop (SIGTERM) and waits for it; it must exit cleanly.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "partage run exited with {status:?}");
                return;
            }
            if Instant::now() >= deadline {
                panic!("partage run did not stop after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
