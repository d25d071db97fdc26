//! Rate limits on what a peer can make this node do repeatedly: answering `Hello { reply }`
//! (a core call and a digest each), rebuilding whole documents for `Want { heads: [] }`, and
//! verifying pushes that bring nothing new (signatures checked for nothing).
//! A peer over a limit misbehaves (disconnected, reported, blocked for a while).

use std::time::{Duration, Instant};

/// Requests for a new round (`Hello { reply: true }`) per window at most.
pub(crate) const HELLOS_PER_WINDOW: u32 = 20;
/// Whole-document requests per window at most, beyond one per document this device holds.
pub(crate) const FULL_WANTS_SLACK: u32 = 64;
/// Pushes of what this device already holds (found by hash lookups, nothing verified) per
/// window at most. In a dense mesh honest peers relay the same changes to each other, so a burst
/// of edits brings many: the bound is far above that, and only cuts off floods.
pub(crate) const REPLAYS_PER_WINDOW: u32 = 2_000;
/// Pushes that were verified and then held nothing new, per window at most (a race between two
/// peers delivering the same changes makes one; anything else is rare).
pub(crate) const USELESS_PUSHES_PER_WINDOW: u32 = 100;
pub(crate) const WINDOW: Duration = Duration::from_secs(10);

/// A count of events in a fixed window.
pub(crate) struct Window {
    started: Instant,
    count: u32,
}

impl Window {
    pub(crate) fn new(now: Instant) -> Self {
        Window { started: now, count: 0 }
    }

    /// Counts one event at `now`; `false` if that makes more than `max` in the current window.
    pub(crate) fn allow(&mut self, max: u32, now: Instant) -> bool {
        if now.saturating_duration_since(self.started) >= WINDOW {
            self.started = now;
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
        let start = Instant::now();
        let mut w = Window::new(start);
        assert!((0..5).all(|_| w.allow(5, start)));
        assert!(!w.allow(5, start));
        // A new window starts afresh.
        assert!(w.allow(5, start + WINDOW));
    }
}
