//! Frame sequence numbers: gaps are drops, repeats are duplicates, a jump far back (or
//! absurdly far ahead) is a sender restart — never a million drops.

/// Seqs remembered behind the highest, to tell a duplicate or a late frame from a restart.
const WINDOW: u32 = 1024;
/// A forward jump larger than this is a restart, not a gap.
pub const MAX_GAP: u32 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqVerdict {
    First,
    /// The next one, or after `missing` frames never seen.
    Next {
        missing: u32,
    },
    /// Already seen (a replay after a reconnect): not a new frame.
    Duplicate,
    /// Behind the highest but not seen before: it fills a gap counted earlier.
    Late,
    /// The sender started over.
    Restart,
}

#[derive(Clone, Debug, Default)]
pub struct SeqTracker {
    highest: Option<u32>,
    /// Bit `s % WINDOW` says whether seq `s` (within WINDOW of `highest`) was seen.
    seen: Vec<u64>,
    dropped: u64,
    restarts: u64,
}

impl SeqTracker {
    pub fn new() -> Self {
        Self {
            seen: vec![0; (WINDOW / 64) as usize],
            ..Self::default()
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    pub fn observe(&mut self, seq: u32) -> SeqVerdict {
        let Some(highest) = self.highest else {
            self.start_at(seq);
            return SeqVerdict::First;
        };
        let ahead = seq.wrapping_sub(highest);
        let behind = highest.wrapping_sub(seq);
        if ahead == 0 {
            SeqVerdict::Duplicate
        } else if ahead <= MAX_GAP {
            if ahead >= WINDOW {
                self.seen.iter_mut().for_each(|w| *w = 0);
            } else {
                for skipped in 1..ahead {
                    self.set(highest.wrapping_add(skipped), false);
                }
            }
            self.set(seq, true);
            self.highest = Some(seq);
            self.dropped += u64::from(ahead - 1);
            SeqVerdict::Next { missing: ahead - 1 }
        } else if behind < WINDOW {
            if self.get(seq) {
                SeqVerdict::Duplicate
            } else {
                self.set(seq, true);
                self.dropped = self.dropped.saturating_sub(1);
                SeqVerdict::Late
            }
        } else {
            self.restarts += 1;
            self.start_at(seq);
            SeqVerdict::Restart
        }
    }

    fn start_at(&mut self, seq: u32) {
        self.seen.iter_mut().for_each(|w| *w = 0);
        self.set(seq, true);
        self.highest = Some(seq);
    }

    fn get(&self, seq: u32) -> bool {
        let bit = seq % WINDOW;
        self.seen[(bit / 64) as usize] & (1 << (bit % 64)) != 0
    }

    fn set(&mut self, seq: u32, on: bool) {
        let bit = seq % WINDOW;
        let word = &mut self.seen[(bit / 64) as usize];
        if on {
            *word |= 1 << (bit % 64);
        } else {
            *word &= !(1 << (bit % 64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gaps_duplicates_late_frames_and_wraps() {
        let mut t = SeqTracker::new();
        assert_eq!(t.observe(u32::MAX - 1), SeqVerdict::First);
        assert_eq!(t.observe(u32::MAX), SeqVerdict::Next { missing: 0 });
        assert_eq!(
            t.observe(2),
            SeqVerdict::Next { missing: 2 },
            "wraps: 0 and 1 missing"
        );
        assert_eq!(t.dropped(), 2);
        assert_eq!(t.observe(2), SeqVerdict::Duplicate);
        assert_eq!(t.observe(u32::MAX), SeqVerdict::Duplicate);
        assert_eq!(t.observe(0), SeqVerdict::Late);
        assert_eq!(t.dropped(), 1);
        assert_eq!(t.observe(0), SeqVerdict::Duplicate);
    }

    #[test]
    fn a_sender_restart_is_not_a_million_drops() {
        let mut t = SeqTracker::new();
        for seq in 5000..5100 {
            t.observe(seq);
        }
        assert_eq!(t.observe(0), SeqVerdict::Restart);
        assert_eq!(t.observe(1), SeqVerdict::Next { missing: 0 });
        assert_eq!(
            t.observe(3_000_000_000),
            SeqVerdict::Restart,
            "an absurd jump ahead"
        );
        assert_eq!(t.dropped(), 0);
        assert_eq!(t.restarts(), 2);
    }

    proptest! {
        /// Against a two-pass reference: an increasing run with frames left out drops
        /// exactly (last − first + 1) − received, whatever the starting point and wrap.
        #[test]
        fn dropped_matches_a_two_pass_count(start in any::<u32>(), keep in proptest::collection::vec(any::<bool>(), 1..3000)) {
            let seqs: Vec<u32> = keep.iter().enumerate().filter(|(_, k)| **k)
                .map(|(i, _)| start.wrapping_add(i as u32)).collect();
            prop_assume!(!seqs.is_empty());
            let mut t = SeqTracker::new();
            for &s in &seqs {
                t.observe(s);
            }
            let span = u64::from(seqs[seqs.len() - 1].wrapping_sub(seqs[0])) + 1;
            prop_assert_eq!(t.dropped(), span - seqs.len() as u64);
        }
    }
}
