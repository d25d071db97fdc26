//! Durable adds one at a time, timed each, and reported as a whole and in consecutive blocks
//! (to show how their cost grows with the store), with the thread's time on and waiting for a
//! CPU so a run disturbed by other processes shows it.

use crate::stats::{Res, ms, quantile, thread_sched};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The adds are also reported in this many consecutive blocks.
const BLOCKS: usize = 10;

pub struct Adds {
    pub items: usize,
    pub total: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Mean (on CPU, waiting for a CPU) per add over the whole run.
    pub sched_mean: Option<(Duration, Duration)>,
    pub blocks: Vec<Block>,
    /// Adds slower than 20 × the median, with their 1-based position.
    pub spikes: Vec<(usize, Duration)>,
}

pub struct Block {
    /// 1-based positions of the first and last add of the block.
    pub first: usize,
    pub last: usize,
    pub mean: Duration,
    pub p50: Duration,
    /// Mean time on CPU per add, and mean time runnable but waiting for a CPU (other
    /// processes); the rest of `mean` is mostly waiting for fdatasync.
    pub cpu: Option<Duration>,
    pub runqueue: Option<Duration>,
}

type Sched = Option<(Duration, Duration)>;

fn delta(a: Sched, z: Sched, count: u32) -> Sched {
    let ((a_cpu, a_wait), (z_cpu, z_wait)) = (a?, z?);
    Some((z_cpu.saturating_sub(a_cpu) / count.max(1), z_wait.saturating_sub(a_wait) / count.max(1)))
}

/// Calls `add(i)` for `i` in `0..n`, timing each call.
pub fn measure(n: usize, mut add: impl FnMut(usize) -> Res<()>) -> Res<Adds> {
    let block_len = n.div_ceil(BLOCKS).max(1);
    let mut per_add = Vec::with_capacity(n);
    let mut sched = vec![thread_sched()];
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        add(i)?;
        per_add.push(t.elapsed());
        if (i + 1) % block_len == 0 || i + 1 == n {
            sched.push(thread_sched());
        }
    }
    let total = started.elapsed();
    let blocks = per_add
        .chunks(block_len)
        .enumerate()
        .map(|(b, chunk)| {
            let mut sorted = chunk.to_vec();
            sorted.sort_unstable();
            let count = chunk.len() as u32;
            let d = delta(sched.get(b).copied().flatten(), sched.get(b + 1).copied().flatten(), count);
            Block {
                first: b * block_len + 1,
                last: b * block_len + chunk.len(),
                mean: chunk.iter().sum::<Duration>() / count.max(1),
                p50: quantile(&sorted, 0.5),
                cpu: d.map(|d| d.0),
                runqueue: d.map(|d| d.1),
            }
        })
        .collect();
    let mut sorted = per_add.clone();
    sorted.sort_unstable();
    let p50 = quantile(&sorted, 0.5);
    let spikes =
        per_add.iter().enumerate().filter(|(_, d)| **d > p50 * 20).map(|(i, d)| (i + 1, *d)).collect();
    let sched_mean = delta(sched.first().copied().flatten(), sched.last().copied().flatten(), n as u32);
    Ok(Adds {
        items: n,
        total,
        p50,
        p99: quantile(&sorted, 0.99),
        max: sorted.last().copied().unwrap_or_default(),
        sched_mean,
        blocks,
        spikes,
    })
}

impl Adds {
    pub fn items_per_s(&self) -> f64 {
        self.items as f64 / self.total.as_secs_f64().max(f64::EPSILON)
    }

    pub fn json(&self) -> Value {
        json!({
            "items": self.items,
            "total_ms": ms(self.total),
            "items_per_s": self.items_per_s(),
            "p50_ms": ms(self.p50),
            "p99_ms": ms(self.p99),
            "max_ms": ms(self.max),
            "on_cpu_mean_ms": self.sched_mean.map(|m| ms(m.0)),
            "waiting_for_cpu_mean_ms": self.sched_mean.map(|m| ms(m.1)),
            "blocks": self.blocks.iter().map(|b| json!({
                "first": b.first,
                "last": b.last,
                "mean_ms": ms(b.mean),
                "p50_ms": ms(b.p50),
                "cpu_ms": b.cpu.map(ms),
                "runqueue_ms": b.runqueue.map(ms),
            })).collect::<Vec<_>>(),
            "spikes": self.spikes.iter().map(|(i, d)| json!({ "add": i, "ms": ms(*d) })).collect::<Vec<_>>(),
        })
    }

    /// One line: throughput and per-add quantiles.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{:.0} items/s (p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms per durable add)",
            self.items_per_s(),
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        );
        if let Some((cpu, waiting)) = self.sched_mean {
            s.push_str(&format!("; on CPU {:.2} ms, waiting for a CPU {:.2} ms", ms(cpu), ms(waiting)));
        }
        s
    }

    /// The blocks, one line each.
    pub fn block_lines(&self) -> Vec<String> {
        let opt = |d: Option<Duration>| d.map_or("n/a".to_owned(), |d| format!("{:.3}", ms(d)));
        self.blocks
            .iter()
            .map(|b| {
                format!(
                    "  adds {:>6}..{:<6} mean {:.3} ms, p50 {:.3} ms, on CPU {} ms, waiting for a CPU {} ms",
                    b.first,
                    b.last,
                    ms(b.mean),
                    ms(b.p50),
                    opt(b.cpu),
                    opt(b.runqueue)
                )
            })
            .collect()
    }
}
