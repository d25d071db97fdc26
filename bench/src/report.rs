//! The run's report: one JSON object, and the same figures as a table of lines.

use serde_json::{Map, Value};

#[derive(Default)]
pub struct Report {
    json: Map<String, Value>,
    lines: Vec<String>,
}

impl Report {
    pub fn set(&mut self, key: &str, value: Value) {
        self.json.insert(key.to_owned(), value);
    }

    /// A number set earlier, by JSON pointer (`/full_sync/time_ms/median`).
    #[cfg_attr(not(feature = "samod"), allow(dead_code))]
    pub fn number(&self, pointer: &str) -> Option<f64> {
        let (key, rest) = pointer.trim_start_matches('/').split_once('/').unwrap_or((pointer, ""));
        let value = self.json.get(key.trim_start_matches('/'))?;
        if rest.is_empty() { value.as_f64() } else { value.pointer(&format!("/{rest}"))?.as_f64() }
    }

    pub fn line(&mut self, line: String) {
        self.lines.push(line);
    }

    pub fn lines(&mut self, lines: Vec<String>) {
        self.lines.extend(lines);
    }

    /// Progress on stderr, so a long run shows where it is (stdout stays the report).
    pub fn progress(&self, step: &str) {
        eprintln!("partage-bench: {step}");
    }

    pub fn print(self, json: bool) {
        if json {
            println!("{}", Value::Object(self.json));
        } else {
            for l in self.lines {
                println!("{l}");
            }
        }
    }
}
