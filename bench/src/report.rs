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
