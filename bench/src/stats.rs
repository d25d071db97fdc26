//! Small statistics and process measurements.

use serde_json::{Value, json};
use std::time::Duration;

/// A benchmark step's outcome: any failure ends the run with its message.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Median, min and max of repeated measurements.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Spread {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        match (v.get(v.len() / 2), v.first(), v.last()) {
            (Some(&median), Some(&min), Some(&max)) => Spread { median, min, max },
            _ => Spread { median: 0.0, min: 0.0, max: 0.0 },
        }
    }

    pub fn json(&self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }

    pub fn show(&self, unit: &str) -> String {
        format!("{:.2} {unit} (min {:.2}, max {:.2})", self.median, self.min, self.max)
    }
}

/// The `q` quantile (0..=1) of sorted durations, nearest rank.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or(Duration::ZERO)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Peak resident memory of this process (Linux), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
