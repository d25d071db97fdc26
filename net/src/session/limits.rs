//! Rate limits on what a peer can make this node do repeatedly: answering `Hello { reply }`
//! (a core call and a digest each) and rebuilding whole documents for `Want { heads: [] }`.
//! A peer over a limit misbehaves (disconnected, reported, blocked for a while).

use std::time::{Duration, Instant};

/// Requests for a new round (`Hello { reply: true }`) per window at most.
pub(crate) const HELLOS_PER_WINDOW: u32 = 20;
/// Whole-document requests per window at most, beyond one per document this device holds.
pub(crate) const FULL_WANTS_SLACK: u32 = 64;
pub(crate) const WINDOW: Duration = Duration::from_secs(10);

/// A count of events in a fixed window.
pub(crate) struct Window {
    started: Instant,
    count: u32,
}

impl Window {
    pub(crate) fn new() -> Self {
        Window { started: Instant::now(), count: 0 }
    }

    /// Counts one event; `false` if that makes more than `max` in the current window.
    pub(crate) fn allow(&mut self, max: u32) -> bool {
        if self.started.elapsed() >= WINDOW {
            self.started = Instant::now();
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count <= max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_up_to_its_maximum() {
        let mut w = Window::new();
        assert!((0..5).all(|_| w.allow(5)));
        assert!(!w.allow(5));
    }
}
