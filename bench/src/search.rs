//! Search against the full inventory: whole-list queries, and the first page of a one-letter
//! query as a search box shows while typing.

use crate::stats::{Res, quantile, us};
use partage::{ItemFilter, Node};
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::{Duration, Instant};

const REPEATS: usize = 100;

/// The queries timed, with what each one exercises.
const QUERIES: &[(&str, &str)] = &[
    ("echel", "accent-free prefix of Échelle"),
    ("perceuse", "whole word"),
    ("tente 4", "two words, one a number"),
    ("raclette", "whole word"),
    ("tondeuse electrique", "two words, accent-free"),
    ("zzz", "no match"),
    ("a", "worst case: one-letter prefix matching most items"),
];

pub struct Timing {
    pub query: &'static str,
    pub what: &'static str,
    pub hits: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Timing {
    fn json(&self) -> Value {
        json!({ "query": self.query, "what": self.what, "hits": self.hits, "p50_us": us(self.p50), "p99_us": us(self.p99), "max_us": us(self.max) })
    }
}

pub struct Search {
    pub queries: Vec<Timing>,
    pub first_page: Timing,
}

fn time(query: &'static str, what: &'static str, mut run: impl FnMut() -> Res<usize>) -> Res<Timing> {
    let mut times = Vec::with_capacity(REPEATS);
    let mut hits = 0;
    for _ in 0..REPEATS {
        let t = Instant::now();
        hits = black_box(run()?);
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let (p50, p99) = (quantile(&times, 0.5), quantile(&times, 0.99));
    Ok(Timing { query, what, hits, p50, p99, max: times.last().copied().unwrap_or_default() })
}

pub fn measure(node: &Node) -> Res<Search> {
    let filter = ItemFilter::default();
    let mut queries = Vec::with_capacity(QUERIES.len());
    for &(q, what) in QUERIES {
        queries.push(time(q, what, || Ok(node.search(black_box(q), &filter)?.len()))?);
    }
    let first_page = time("e", "first page (20 by title) of a one-letter query, search_page", || {
        Ok(node.search_page(black_box("e"), &filter, 20, 0)?.total)
    })?;
    Ok(Search { queries, first_page })
}

impl Search {
    /// The whole-list queries (key `search`).
    pub fn json(&self) -> Value {
        self.queries.iter().map(Timing::json).collect()
    }

    /// The first page (key `search_first_page`).
    pub fn first_page_json(&self) -> Value {
        let mut v = self.first_page.json();
        if let Some(o) = v.as_object_mut() {
            o.insert("limit".into(), json!(20));
        }
        v
    }

    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .queries
            .iter()
            .map(|q| {
                format!(
                    "search {:<22} {:>5} hits, p50 {:>7.0} µs, p99 {:>7.0} µs",
                    format!("\"{}\"", q.query),
                    q.hits,
                    us(q.p50),
                    us(q.p99)
                )
            })
            .collect();
        out.push(format!(
            "search \"e\", first 20   of {} hits, p50 {:.0} µs, p99 {:.0} µs (search_page)",
            self.first_page.hits,
            us(self.first_page.p50),
            us(self.first_page.p99)
        ));
        out
    }
}
