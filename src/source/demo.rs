//! The built-in board: a simulated STM32F4 with four ADC channels (12-bit samples in u16 at
//! 48 kHz, 1024 a frame, interleaved). Channel 0 carries two steady tones, a slow sweep and
//! noise; channels 1 to 3 are the tests an engineer runs on a converter, each through a model
//! of the STM32F4's 12-bit ADC with the noise and distortion its datasheet gives: a clean
//! coherent tone (the single-tone figures), two tones (intermodulation) and a sine that
//! overdrives both ends at a frequency whose phases never repeat (the code-density test).
//! Frames go through the real binary encoder, COBS and the stream decoder, with USB-like
//! delivery jitter, so the demo exercises the wire path a real board does.

use std::f64::consts::TAU;
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::frame::SenderTime;
use crate::link::LinkState;
use crate::vocabulary::{EventSender, SourceEvent};
use crate::wire::binary::{self, Dtype, Header};
use crate::wire::lines::LineOptions;
use crate::wire::{ByteDecoder, Format, cobs_stream};

pub const SAMPLE_RATE: u32 = 48_000;
pub const FRAME_SAMPLES: usize = 1024;
pub const CHANNELS: usize = 4;
pub const BITS: u8 = 12;

/// (frequency Hz, amplitude in full-scale units) of channel 0: the strongest tone is first.
pub const TONES: [(f64, f64); 2] = [(1_000.0, 0.5), (7_350.0, 0.1)];
const SWEEP_AMPLITUDE: f64 = 0.03;
const SWEEP_LOW_HZ: f64 = 200.0;
const SWEEP_HIGH_HZ: f64 = 18_000.0;
/// Up and back down in a minute: a tone that drifts, as a real signal's might.
const SWEEP_PERIOD_S: f64 = 60.0;
const NOISE_RMS: f64 = 0.0005;

/// Channel 1's test tone: 23 cycles in a 1024-sample frame (a coherent frequency, odd and
/// prime to 1024, as a fair ADC measurement wants), at −1 dBFS.
pub const TEST_TONE_HZ: f64 = 23.0 * SAMPLE_RATE as f64 / FRAME_SAMPLES as f64;
pub const TEST_TONE_DBFS: f64 = -1.0;
/// Channel 2's two tones: 211 and 223 cycles a frame (both coherent, odd and prime to
/// 1024), each at −7 dBFS, so their sum stays inside full scale. Through the ADC's c₂ and c₃
/// their products land at bins 12 and 434 (order 2) and 199 and 235 (order 3).
pub const TWO_TONES_HZ: [f64; 2] = [
    211.0 * SAMPLE_RATE as f64 / FRAME_SAMPLES as f64,
    223.0 * SAMPLE_RATE as f64 / FRAME_SAMPLES as f64,
];
pub const TWO_TONES_DBFS: f64 = -7.0;
/// Channel 3's code-density test: a sine 2 % beyond full scale (both end codes gather the
/// clipped samples) at a frequency no small fraction of the sample rate approximates, so
/// over the run its samples visit every phase of the sine evenly.
pub const LINEARITY_TONE_HZ: f64 = 1_001.7;
pub const LINEARITY_TONE_AMPLITUDE: f64 = 1.02;
/// The STM32F4 ADC (datasheet: ENOB 10.3 to 10.8 bits, THD about −70 dB, SINAD about 65
/// dB): integral non-linearity as a bow and an S, y = x + c₂x² + c₃x³, giving 2nd and 3rd
/// harmonics of −73 dBc each at −1 dBFS (THD −70 dB) and about 1 LSB of INL; input-referred
/// noise of 0.46 LSB rms, with the quantiser's LSB²/12 making SNR 67.6 dB, SINAD 65.6 dB,
/// ENOB 10.6 bits.
pub mod stm32f4_adc {
    pub const C2: f64 = 5.025e-4;
    pub const C3: f64 = 1.1278e-3;
    pub const NOISE_LSB_RMS: f64 = 0.457;

    /// The converter's transfer before quantisation.
    pub fn transfer(x: f64) -> f64 {
        x + C2 * x * x + C3 * x * x * x
    }
}

/// A sine by rotation: two multiplies and adds a sample instead of a `sin`, the phase kept
/// exact by renormalising once a frame.
#[derive(Clone, Copy, Debug)]
struct Oscillator {
    re: f64,
    im: f64,
    step: (f64, f64),
}

impl Oscillator {
    fn new(hz: f64) -> Self {
        let mut oscillator = Self {
            re: 1.0,
            im: 0.0,
            step: (1.0, 0.0),
        };
        oscillator.tune(hz);
        oscillator
    }

    /// A new frequency, the phase continuous.
    fn tune(&mut self, hz: f64) {
        let w = TAU * hz / f64::from(SAMPLE_RATE);
        self.step = (w.cos(), w.sin());
    }

    /// The sine of the current phase, then one sample on.
    fn next(&mut self) -> f64 {
        let value = self.im;
        let (c, s) = self.step;
        (self.re, self.im) = (self.re * c - self.im * s, self.re * s + self.im * c);
        value
    }

    fn renormalise(&mut self) {
        let norm = (self.re * self.re + self.im * self.im).sqrt();
        self.re /= norm;
        self.im /= norm;
    }
}

/// The simulated board: produces frames as bytes on its "USB" link.
pub struct DemoBoard {
    rng: fastrand::Rng,
    sample_index: u64,
    seq: u32,
    oscillators: Oscillators,
    frame: Vec<u16>,
}

/// One per tone: channel 0's two and its sweep, and the test channels' four.
struct Oscillators {
    tones: [Oscillator; 2],
    sweep: Oscillator,
    test: Oscillator,
    two_tones: [Oscillator; 2],
    linearity: Oscillator,
}

impl Oscillators {
    fn all(&mut self) -> impl Iterator<Item = &mut Oscillator> {
        self.tones
            .iter_mut()
            .chain([&mut self.sweep, &mut self.test, &mut self.linearity])
            .chain(self.two_tones.iter_mut())
    }
}

/// A full-scale value to a 12-bit offset-binary code.
fn code(x: f64) -> u16 {
    let half_range = f64::from(1u32 << (BITS - 1));
    // Rounded by truncating a non-negative value plus a half (`round` is a library call, and
    // this runs 192 000 times a second).
    let level = (half_range + x * half_range).clamp(0.0, 2.0 * half_range - 1.0);
    (level + 0.5) as u16
}

impl DemoBoard {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
            sample_index: 0,
            seq: 0,
            oscillators: Oscillators {
                tones: TONES.map(|(hz, _)| Oscillator::new(hz)),
                sweep: Oscillator::new(SWEEP_LOW_HZ),
                test: Oscillator::new(TEST_TONE_HZ),
                two_tones: TWO_TONES_HZ.map(Oscillator::new),
                linearity: Oscillator::new(LINEARITY_TONE_HZ),
            },
            frame: vec![0; FRAME_SAMPLES * CHANNELS],
        }
    }

    /// The device time (µs since boot) of the last sample of the next frame.
    pub fn next_frame_end_us(&self) -> i64 {
        ((self.sample_index + FRAME_SAMPLES as u64) * 1_000_000 / u64::from(SAMPLE_RATE)) as i64
    }

    /// The next frame, COBS-encoded with its delimiter, appended to `out`.
    pub fn next_frame(&mut self, out: &mut Vec<u8>) {
        let fs = f64::from(SAMPLE_RATE);
        // The sweep is slow: its frequency is held for a frame (its phase stays continuous).
        let cycle = (self.sample_index as f64 / fs / SWEEP_PERIOD_S).fract();
        let position = 1.0 - (2.0 * cycle - 1.0).abs();
        let o = &mut self.oscillators;
        o.sweep
            .tune(SWEEP_LOW_HZ * (SWEEP_HIGH_HZ / SWEEP_LOW_HZ).powf(position));
        // Uniform noise with the same RMS as the Gaussian it stands for: cheap, and the
        // spectrum cannot tell the difference (the ADC's is the sum of two: closer to a bell).
        let noise_peak = NOISE_RMS * 3f64.sqrt();
        let lsb = 1.0 / f64::from(1u32 << (BITS - 1));
        let adc_noise = stm32f4_adc::NOISE_LSB_RMS * lsb * 6f64.sqrt();
        let test_amplitude = 10f64.powf(TEST_TONE_DBFS / 20.0);
        let two_tones_amplitude = 10f64.powf(TWO_TONES_DBFS / 20.0);
        let rng = &mut self.rng;
        let adc = |rng: &mut fastrand::Rng, x: f64| {
            code(stm32f4_adc::transfer(
                x + adc_noise * (rng.f64() + rng.f64() - 1.0),
            ))
        };
        for instant in self.frame.chunks_exact_mut(CHANNELS) {
            let [a, b] = &mut o.tones;
            let signal = TONES[0].1 * a.next()
                + TONES[1].1 * b.next()
                + SWEEP_AMPLITUDE * o.sweep.next()
                + noise_peak * (2.0 * rng.f64() - 1.0);
            instant[0] = code(signal);
            instant[1] = adc(rng, test_amplitude * o.test.next());
            let [f1, f2] = &mut o.two_tones;
            instant[2] = adc(rng, two_tones_amplitude * (f1.next() + f2.next()));
            instant[3] = adc(rng, LINEARITY_TONE_AMPLITUDE * o.linearity.next());
        }
        o.all().for_each(Oscillator::renormalise);
        self.sample_index += FRAME_SAMPLES as u64;
        let end_us = (self.sample_index * 1_000_000 / u64::from(SAMPLE_RATE)) as i64;
        let header = Header {
            bits: BITS,
            channels: CHANNELS as u8,
            ..Header::samples(
                Dtype::U16,
                self.seq,
                SAMPLE_RATE,
                Some(SenderTime::Device(end_us)),
            )
        };
        self.seq = self.seq.wrapping_add(1);
        let mut frame =
            Vec::with_capacity(binary::HEADER_LEN + FRAME_SAMPLES * CHANNELS * 2 + binary::CRC_LEN);
        binary::encode_values(&header, &self.frame, u16::to_le_bytes, &mut frame);
        cobs_stream::encode(&frame, out);
    }

    /// How long after the frame's last sample it reaches the host: a USB poll of 1 ms,
    /// some scheduling noise, and now and then a stall.
    pub fn delivery_delay(&mut self) -> Duration {
        let mut ms = 1.0 + self.rng.f64() * 0.5 - 0.5 * self.rng.f64().max(1e-9).ln();
        if self.rng.u32(..50) == 0 {
            ms += 5.0 + self.rng.f64() * 10.0;
        }
        Duration::from_secs_f64(ms / 1000.0)
    }
}

/// Runs the board in real time until the receiver goes away. It runs on the analysis
/// thread beside the pipeline (see `Engine::start`): a frame costs that thread one timer
/// wake-up, where a thread of its own cost two (its own, and the analysis thread's when the
/// frame reached it).
pub async fn run(tx: EventSender, clock: Clock) {
    let mut board = DemoBoard::new(0x5EED);
    let mut decoder = ByteDecoder::new(Format::Frame, LineOptions::default());
    let notice = format!(
        "demo: ch 0 two tones and a sweep; an STM32F4 ADC on ch 1 a {:.3} kHz test tone, ch 2 two tones, ch 3 an overdriving sine for --linearity (c: next channel, t: ADC figures)",
        TEST_TONE_HZ / 1000.0
    );
    for event in [
        SourceEvent::Status(LinkState::Connected),
        SourceEvent::Notice(notice),
    ] {
        if tx.send(event).await.is_err() {
            return;
        }
    }
    let boot = Instant::now();
    let mut bytes = Vec::new();
    loop {
        let frame_end = boot + Duration::from_micros(board.next_frame_end_us() as u64);
        let delay = board.delivery_delay();
        bytes.clear();
        board.next_frame(&mut bytes);
        tokio::time::sleep_until((frame_end + delay).into()).await;
        let arrival = clock.now();
        let mut items = Vec::with_capacity(1);
        decoder.push(&bytes, &mut items);
        let event = SourceEvent::Data {
            arrival,
            bytes: bytes.len(),
            items,
        };
        if tx.send(event).await.is_err() {
            return;
        }
    }
}
