//! Which phases of the test tone the counted samples fell on. A code-density histogram is
//! the arcsine's only when the samples visit the sine's phases evenly; a tone coherent with
//! the frame (as an FFT measurement wants it) repeats the same N phases frame after frame,
//! and near the zero crossings those land many codes apart: the codes between are never
//! visited, and a perfect converter reads as one with missing codes. So the phases are
//! counted too, and the figures wait until (nearly) every one has been visited.
//!
//! The phase of each frame's first sample is measured (one dot product with the tone's
//! cosine and sine: two multiply-adds a sample), each sample's phase follows from the
//! frequency, and its cell is marked in a bitset; once every cell has been visited (or the
//! phases had samples enough and did not cover: the tone repeats) the following stops, so a
//! test costs it for seconds, not for its whole run.

/// The phase resolution is this many cells per code of a full-scale sine (2^bits codes over
/// its peak-to-peak): at the steepest point a cell spans 2π/2^CELLS_PER_CODE_LOG2 ≈ 0.4 LSB.
const CELLS_PER_CODE_LOG2: u32 = 4;
/// At most 2^24 cells (a 2 MB bitset): finer than any 20-bit test needs at 0.4 LSB.
const MAX_CELLS_LOG2: u32 = 24;
/// The cells visited are counted every this many frames (a popcount of the bitset).
const RECOUNT_EVERY: u32 = 16;
/// Visited by this fraction of the cells, the phases count as even.
pub const COVERED: f64 = 0.999;

#[derive(Clone, Debug)]
pub struct PhaseCoverage {
    cells_log2: u32,
    visited: Vec<u64>,
    visited_count: usize,
    /// Samples whose phases were followed.
    followed: u64,
    /// Frames marked since the cells were last counted.
    frames_since_count: u32,
    tone: Option<Tone>,
}

/// The tone's frequency and its cosine and sine over a frame, for the dot product.
#[derive(Clone, Debug)]
struct Tone {
    cycles_per_sample: f64,
    cos: Vec<f32>,
    sin: Vec<f32>,
}

impl Tone {
    fn new(cycles_per_sample: f64, len: usize) -> Self {
        let (sin, cos) = (0..len)
            .map(|k| {
                let (s, c) = (std::f64::consts::TAU * cycles_per_sample * k as f64).sin_cos();
                (s as f32, c as f32)
            })
            .unzip();
        Self {
            cycles_per_sample,
            cos,
            sin,
        }
    }

    /// The phase of the sine `x[k] = A·sin(2π(f·k + p))` at k = 0, in cycles (0…1).
    fn phase_at_start(&self, samples: impl Iterator<Item = f32> + Clone) -> f64 {
        // In eight lanes: a single running sum is a chain of dependent additions.
        let mut in_phase = [0f32; 8];
        let mut quadrature = [0f32; 8];
        for (k, ((x, c), s)) in samples.zip(&self.cos).zip(&self.sin).enumerate() {
            in_phase[k % 8] += x * c;
            quadrature[k % 8] += x * s;
        }
        let (i, q) = (
            f64::from(in_phase.iter().sum::<f32>()),
            f64::from(quadrature.iter().sum::<f32>()),
        );
        // Σ sin(θk + φ)·cos θk ≈ (N/2) sin φ and Σ sin(θk + φ)·sin θk ≈ (N/2) cos φ.
        (i.atan2(q) / std::f64::consts::TAU).rem_euclid(1.0)
    }
}

impl PhaseCoverage {
    pub fn new(bits: u8) -> Self {
        let cells_log2 = (u32::from(bits) + CELLS_PER_CODE_LOG2).min(MAX_CELLS_LOG2);
        Self {
            cells_log2,
            visited: vec![0; (1usize << cells_log2).div_ceil(64)],
            visited_count: 0,
            followed: 0,
            frames_since_count: 0,
            tone: None,
        }
    }

    /// The fraction of the tone's phases the samples have visited (counted now).
    pub fn coverage(&self) -> f64 {
        let visited: u64 = self.visited.iter().map(|w| u64::from(w.count_ones())).sum();
        visited as f64 / self.cells() as f64
    }

    pub fn is_covered(&self) -> bool {
        self.coverage() >= COVERED
    }

    /// Whether the phases have had samples enough to cover their cells eight times over, yet
    /// did not: the tone keeps to a few of them (evenly spread phases cover the cells after
    /// about as many samples as there are cells).
    pub fn is_stuck(&self) -> bool {
        self.followed >= 8 * self.cells() && !self.is_covered()
    }

    fn cells(&self) -> u64 {
        1 << self.cells_log2
    }

    /// Whether following is over, by the count made every few frames.
    fn is_done(&self) -> bool {
        let covered = self.visited_count as f64 >= COVERED * self.cells() as f64;
        covered || (self.followed >= 8 * self.cells() && self.frames_since_count == 0)
    }

    /// Whether the tone's frequency is known (phases are counted only then).
    pub fn is_tuned(&self) -> bool {
        self.tone.is_some()
    }

    /// The tone's frequency as measured (cycles a sample). A new measurement that moves a
    /// frame's last phase by less than a cell keeps the tone as it was: a fit's noise would
    /// otherwise smear a coherent tone's few phases over their neighbours' cells.
    pub fn tune(&mut self, cycles_per_sample: f64) {
        if !(cycles_per_sample > 0.0 && cycles_per_sample < 0.5) {
            return;
        }
        let len = self.tone.as_ref().map_or(0, |t| t.cos.len());
        let cell = 1.0 / (1u64 << self.cells_log2) as f64;
        let moved = |t: &Tone| (t.cycles_per_sample - cycles_per_sample).abs() * len as f64;
        if self.tone.as_ref().is_none_or(|t| moved(t) > cell) {
            self.tone = Some(Tone::new(cycles_per_sample, len));
        }
    }

    /// The tone's frequency as followed, cycles a sample.
    pub fn cycles_per_sample(&self) -> Option<f64> {
        self.tone.as_ref().map(|t| t.cycles_per_sample)
    }

    /// Marks the phases of `channel`'s samples in interleaved `values`, once the tone is
    /// known and until the phases are covered or stuck.
    pub fn add(&mut self, values: &[f32], channels: usize, channel: usize) {
        if self.is_done() {
            return;
        }
        let Some(tone) = self.tone.as_mut() else {
            return;
        };
        let samples = values
            .iter()
            .skip(channel)
            .step_by(channels.max(1))
            .copied();
        let len = samples.clone().count();
        if len > tone.cos.len() {
            *tone = Tone::new(tone.cycles_per_sample, len);
        }
        let start = tone.phase_at_start(samples);
        self.followed += len as u64;
        // Phases in fixed point, a whole cycle being 2^64: each sample one addition on.
        let step = (tone.cycles_per_sample * 2f64.powi(64)) as u64;
        let mut phase = (start * 2f64.powi(64)) as u64;
        let shift = 64 - self.cells_log2;
        // Marked without a test (a branch on every sample mispredicts), counted after.
        for _ in 0..len {
            let cell = (phase >> shift) as usize;
            self.visited[cell / 64] |= 1u64 << (cell % 64);
            phase = phase.wrapping_add(step);
        }
        self.frames_since_count += 1;
        if self.frames_since_count >= RECOUNT_EVERY {
            self.recount();
        }
    }

    /// The cells visited, counted anew (a popcount a word).
    fn recount(&mut self) {
        self.visited_count = self.visited.iter().map(|w| w.count_ones() as usize).sum();
        self.frames_since_count = 0;
    }
}
