//! What the bars show: the spectrum reduced to one band per column, steadied for the screen.
//!
//! A bar moves only when its level changes by more than a dead band (3 dB, or less than a
//! row where rows are finer): the noise floor's frame-to-frame flutter would otherwise
//! rewrite most of the screen 30 times a second, which a slow SSH link cannot carry (see
//! BENCHMARKS.md). The readouts (peak, markers, ADC figures) read the spectrum itself.

use crate::analysis::{BandLayout, FreqAxis};
use crate::snapshot::Snapshot;

/// A bar follows its band only when the band moved more than this (dB)…
pub const DEAD_BAND_DB: f32 = 3.0;
/// …or more than this share of a row, on a tall screen whose rows are finer than that: a
/// bar never stands a whole row off its band.
pub const DEAD_BAND_ROWS: f32 = 0.85;

#[derive(Clone, Debug, Default)]
pub struct Bars {
    layout: Option<BandLayout>,
    fresh: Vec<f32>,
    /// Levels shown, dB.
    pub levels: Vec<f32>,
    /// Held peaks shown, dB (empty when peak hold is off).
    pub caps: Vec<f32>,
    /// The reference's level per band, dB (empty without one; the floor where it does not
    /// reach).
    pub reference: Vec<f32>,
}

impl Bars {
    /// Brings the bars up to `snapshot` for `columns` bars on `axis`, `db_per_row` tall a row.
    pub fn update(&mut self, snapshot: &Snapshot, columns: usize, axis: FreqAxis, db_per_row: f32) {
        let dead_band = DEAD_BAND_DB.min(DEAD_BAND_ROWS * db_per_row);
        let bins = snapshot.spectrum.len();
        if bins == 0 || columns == 0 {
            *self = Self::default();
            return;
        }
        let layout_fits = self
            .layout
            .as_ref()
            .is_some_and(|l| l.bins == bins && l.bands() == columns && l.axis == axis);
        if !layout_fits {
            self.layout = Some(BandLayout::new(bins, columns, axis));
            self.levels.clear();
        }
        let layout = self.layout.as_ref().expect("just set");
        layout.reduce_db(&snapshot.spectrum, &mut self.fresh);
        if self.levels.len() != self.fresh.len() {
            self.levels.clone_from(&self.fresh);
        } else {
            for (shown, &fresh) in self.levels.iter_mut().zip(&self.fresh) {
                if (fresh - *shown).abs() > dead_band {
                    *shown = fresh;
                }
            }
        }
        if snapshot.held.len() == bins {
            layout.reduce_db(&snapshot.held, &mut self.caps);
        } else {
            self.caps.clear();
        }
        match &snapshot.reference {
            Some(reference) if reference.len() == bins => {
                layout.reduce_db(reference, &mut self.reference);
            }
            _ => self.reference.clear(),
        }
    }

    pub fn layout(&self) -> Option<&BandLayout> {
        self.layout.as_ref()
    }
}
