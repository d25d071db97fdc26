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

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Median, min and max of durations, in ms.
pub fn spread_ms(values: &[Duration]) -> Spread {
    Spread::of(&values.iter().map(|d| ms(*d)).collect::<Vec<_>>())
}

/// `a / b`, or 0 when `b` is 0 (a figure that was not measured).
pub fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Peak resident memory of this process (Linux), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// Resident memory of this process now (Linux), in KiB.
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// (time on CPU, time waiting for a CPU) of the calling thread so far (Linux schedstat).
pub fn thread_sched() -> Option<(Duration, Duration)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    let on_cpu = fields.next()??;
    let waiting = fields.next()??;
    Some((Duration::from_nanos(on_cpu), Duration::from_nanos(waiting)))
}
