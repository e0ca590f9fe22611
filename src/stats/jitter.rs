//! Inter-arrival jitter, the estimator of RFC 3550 §6.4.1: J += (|D| − J) / 16, where D is
//! the change in transit time (arrival minus sender time) between consecutive frames.

#[derive(Clone, Debug, Default)]
pub struct Jitter {
    previous_transit_us: Option<f64>,
    jitter_us: Option<f64>,
}

impl Jitter {
    pub fn observe(&mut self, arrival_us: f64, sent_us: f64) {
        let transit = arrival_us - sent_us;
        if let Some(previous) = self.previous_transit_us {
            let d = (transit - previous).abs();
            let j = self.jitter_us.unwrap_or(0.0);
            self.jitter_us = Some(j + (d - j) / 16.0);
        }
        self.previous_transit_us = Some(transit);
    }

    /// Milliseconds; `None` before two frames.
    pub fn millis(&self) -> Option<f64> {
        self.jitter_us.map(|us| us / 1000.0)
    }

    /// After a sender restart its clock is new: start over.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_before_two_frames() {
        let mut j = Jitter::default();
        assert_eq!(j.millis(), None);
        j.observe(1000.0, 0.0);
        assert_eq!(j.millis(), None);
        j.observe(2000.0, 1000.0);
        assert_eq!(j.millis(), Some(0.0));
    }

    /// Against a reference computed apart: with transit alternating by `d`, every |D| is d
    /// and RFC 3550's estimator after n frames is d·(1 − (15/16)^(n−1)).
    #[test]
    fn converges_as_the_closed_form_says() {
        let d = 2000.0;
        let mut j = Jitter::default();
        for n in 0..200u32 {
            let transit = if n % 2 == 0 { 5000.0 } else { 5000.0 + d };
            let sent = f64::from(n) * 21_333.0;
            j.observe(sent + transit, sent);
            if n >= 1 {
                let expected_ms = d * (1.0 - (15.0f64 / 16.0).powi(n as i32)) / 1000.0;
                assert!((j.millis().unwrap() - expected_ms).abs() < 1e-9);
            }
        }
    }
}
