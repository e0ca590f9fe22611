//! The two clocks a frame's arrival is read on: monotonic (for intervals and device-clock
//! latency) and the wall clock (for latency against a sender's Unix time).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// When a frame arrived, in µs: `mono_us` since the program's [`Clock`] started,
/// `unix_us` since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub mono_us: i64,
    pub unix_us: i64,
}

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    pub fn start(&self) -> Instant {
        self.start
    }

    pub fn now(&self) -> Arrival {
        self.at(Instant::now())
    }

    pub fn at(&self, instant: Instant) -> Arrival {
        Arrival {
            mono_us: self.mono_us(instant),
            unix_us: unix_now_us(),
        }
    }

    pub fn mono_us(&self, instant: Instant) -> i64 {
        instant.saturating_duration_since(self.start).as_micros() as i64
    }

    pub fn seconds(&self, instant: Instant) -> f64 {
        instant.saturating_duration_since(self.start).as_secs_f64()
    }
}

pub fn unix_now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
