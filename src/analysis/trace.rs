//! The scope's trace: the latest samples of the analysed channel, in a ring of fixed size.

/// Samples kept: at 48 kHz a third of a second, enough for a trigger and a screen.
pub const TRACE_SAMPLES: usize = 16_384;

#[derive(Clone, Debug, Default)]
pub struct Trace {
    ring: Vec<f32>,
    /// Where the next sample goes.
    next: usize,
    /// Samples taken since start.
    taken: u64,
}

impl Trace {
    /// Appends channel `channel` of interleaved `values`.
    pub fn push(&mut self, values: &[f32], channels: usize, channel: usize) {
        if self.ring.len() != TRACE_SAMPLES {
            self.ring = vec![0.0; TRACE_SAMPLES];
        }
        for &v in values.iter().skip(channel).step_by(channels.max(1)) {
            self.ring[self.next] = v;
            self.next = (self.next + 1) % TRACE_SAMPLES;
            self.taken += 1;
        }
    }

    /// The samples held, oldest first.
    pub fn samples(&self) -> Vec<f32> {
        let held = self.taken.min(TRACE_SAMPLES as u64) as usize;
        let start = (self.next + TRACE_SAMPLES - held) % TRACE_SAMPLES.max(1);
        (0..held)
            .map(|i| self.ring[(start + i) % TRACE_SAMPLES])
            .collect()
    }

    pub fn taken(&self) -> u64 {
        self.taken
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_latest_samples_of_the_channel_in_order() {
        let mut trace = Trace::default();
        assert!(trace.samples().is_empty());
        let interleaved: Vec<f32> = (0..2 * (TRACE_SAMPLES + 10)).map(|i| i as f32).collect();
        trace.push(&interleaved, 2, 1);
        let samples = trace.samples();
        assert_eq!(samples.len(), TRACE_SAMPLES);
        assert_eq!(samples[0], (2 * 10 + 1) as f32);
        assert_eq!(
            *samples.last().unwrap(),
            (2 * (TRACE_SAMPLES + 9) + 1) as f32
        );
        assert_eq!(trace.taken(), (TRACE_SAMPLES + 10) as u64);
    }
}
