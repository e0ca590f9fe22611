//! The screen's byte budget: over a slow link a busy view (the scope, every channel, the
//! spectrum with averaging off) draws fewer pictures a second instead of flooding the link,
//! as a slow terminal needs. Each picture still shows the latest snapshot; the header says
//! when pictures are held back (see [`Budget::lowered_fps`]).
//!
//! A token bucket: a second's worth of bytes may go at once, a picture's bytes are taken
//! after it is written, and while the bucket is in debt the next picture waits. The debt is
//! capped at a second's worth, so a whole-screen repaint (the first picture, a resize) costs
//! at most a second of waiting, however large it is.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Over how long the pictures drawn are counted for the header's figure.
const WINDOW: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Budget {
    bytes_per_s: f64,
    /// Bytes that may go now; below zero, the debt to pay before the next picture.
    tokens: f64,
    at: Instant,
    /// When the pictures of the last [`WINDOW`] were drawn.
    drawn: VecDeque<Instant>,
    /// The last time a picture was held back.
    held_at: Option<Instant>,
}

impl Budget {
    pub fn new(bytes_per_s: u32, now: Instant) -> Self {
        let bytes_per_s = f64::from(bytes_per_s.max(1));
        Self {
            bytes_per_s,
            tokens: bytes_per_s,
            at: now,
            drawn: VecDeque::new(),
            held_at: None,
        }
    }

    pub fn bytes_per_s(&self) -> u32 {
        self.bytes_per_s as u32
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.bytes_per_s).min(self.bytes_per_s);
        self.at = now;
    }

    /// `None` when a picture may be drawn now; otherwise when it may (the debt paid).
    pub fn held_until(&mut self, now: Instant) -> Option<Instant> {
        self.refill(now);
        if self.tokens >= 0.0 {
            return None;
        }
        self.held_at = Some(now);
        Some(now + Duration::from_secs_f64(-self.tokens / self.bytes_per_s))
    }

    /// A picture of `bytes` went out at `now`.
    pub fn spent(&mut self, bytes: u64, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens - bytes as f64).max(-self.bytes_per_s);
        self.drawn.push_back(now);
        while self
            .drawn
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) > WINDOW)
        {
            self.drawn.pop_front();
        }
    }

    /// Pictures a second over the last two seconds, when the budget held one back in that
    /// time; `None` while it holds nothing back (the screen draws at its own pace).
    pub fn lowered_fps(&self, now: Instant) -> Option<f64> {
        let held = self
            .held_at
            .is_some_and(|t| now.saturating_duration_since(t) <= WINDOW);
        held.then(|| {
            let recent = self
                .drawn
                .iter()
                .filter(|&&t| now.saturating_duration_since(t) <= WINDOW)
                .count();
            recent as f64 / WINDOW.as_secs_f64()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_picture_within_the_budget_goes_at_once() {
        let now = Instant::now();
        let mut budget = Budget::new(4096, now);
        assert_eq!(budget.held_until(now), None);
        budget.spent(1000, now);
        assert_eq!(budget.held_until(now), None);
        assert_eq!(budget.lowered_fps(now), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_debt_holds_the_next_picture_until_it_is_paid() {
        let now = Instant::now();
        let mut budget = Budget::new(4000, now);
        budget.spent(6000, now); // 4000 in hand, 2000 owed: half a second
        assert_eq!(
            budget.held_until(now),
            Some(now + Duration::from_millis(500))
        );
        let later = now + Duration::from_millis(500);
        assert_eq!(budget.held_until(later), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_repaint_costs_at_most_a_second() {
        let now = Instant::now();
        let mut budget = Budget::new(1000, now);
        budget.spent(1_000_000, now);
        assert_eq!(budget.held_until(now), Some(now + Duration::from_secs(1)));
    }

    /// Pictures of 2700 bytes (the scope's, at 120×40) asked for 30 times a second within
    /// 4096 bytes a second: about 1.5 a second go, the long-run rate stays within the
    /// budget, and the header's figure says so.
    #[tokio::test(start_paused = true)]
    async fn a_busy_view_draws_what_the_budget_allows_and_says_so() {
        let start = Instant::now();
        let mut budget = Budget::new(4096, start);
        let (mut sent, mut pictures) = (0u64, 0u32);
        let mut now = start;
        let mut next = start;
        while now < start + Duration::from_secs(20) {
            if now >= next {
                match budget.held_until(now) {
                    Some(until) => next = until,
                    None => {
                        budget.spent(2700, now);
                        sent += 2700;
                        pictures += 1;
                        next = now + Duration::from_secs(1) / 30;
                    }
                }
            }
            now += Duration::from_millis(1);
        }
        let rate = sent as f64 / 20.0;
        assert!(rate <= 4096.0 * 1.05 + 4096.0 / 20.0, "{rate} bytes/s");
        assert!(
            rate >= 4096.0 * 0.9,
            "{rate} bytes/s: the budget is left unused"
        );
        assert!((25..=35).contains(&pictures), "{pictures} pictures");
        let fps = budget.lowered_fps(now).expect("held back, and said so");
        assert!((1.0..=2.0).contains(&fps), "{fps}");
    }
}
