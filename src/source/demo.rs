//! The built-in board: a simulated STM32F4 ADC (12-bit samples in u16 at 48 kHz, 1024 a
//! frame) with two steady tones, a slow sweep, noise and USB-like delivery jitter. Its
//! frames go through the real binary encoder, COBS, and the stream decoder, so the demo
//! exercises the wire path a real board does.

use std::f64::consts::TAU;
use std::time::Duration;

use tokio::time::Instant;

use super::{EventSender, SourceEvent};
use crate::clock::Clock;
use crate::frame::SenderTime;
use crate::link::LinkState;
use crate::wire::binary::{self, Dtype, Header};
use crate::wire::lines::LineOptions;
use crate::wire::{ByteDecoder, Format, cobs_stream};

pub const SAMPLE_RATE: u32 = 48_000;
pub const FRAME_SAMPLES: usize = 1024;
const BITS: u8 = 12;

/// (frequency Hz, amplitude in full-scale units): the strongest tone is the first.
pub const TONES: [(f64, f64); 2] = [(1_000.0, 0.5), (7_350.0, 0.1)];
const SWEEP_AMPLITUDE: f64 = 0.03;
const SWEEP_LOW_HZ: f64 = 200.0;
const SWEEP_HIGH_HZ: f64 = 18_000.0;
const SWEEP_PERIOD_S: f64 = 20.0;
const NOISE_RMS: f64 = 0.0005;

/// The simulated board: produces frames as bytes on its "USB" link.
pub struct DemoBoard {
    rng: fastrand::Rng,
    sample_index: u64,
    seq: u32,
    /// Phases of the two tones and the sweep at the start of the next frame.
    phases: [f64; 3],
}

impl DemoBoard {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
            sample_index: 0,
            seq: 0,
            phases: [0.0; 3],
        }
    }

    /// The device time (µs since boot) of the last sample of the next frame.
    pub fn next_frame_end_us(&self) -> i64 {
        ((self.sample_index + FRAME_SAMPLES as u64) * 1_000_000 / u64::from(SAMPLE_RATE)) as i64
    }

    /// The next frame, COBS-encoded with its delimiter, appended to `out`.
    pub fn next_frame(&mut self, out: &mut Vec<u8>) {
        let fs = f64::from(SAMPLE_RATE);
        let half_range = f64::from(1u32 << (BITS - 1));
        // The sweep is slow: its frequency is held for a frame (its phase stays continuous).
        let cycle = (self.sample_index as f64 / fs / SWEEP_PERIOD_S).fract();
        let position = 1.0 - (2.0 * cycle - 1.0).abs();
        let sweep_hz = SWEEP_LOW_HZ * (SWEEP_HIGH_HZ / SWEEP_LOW_HZ).powf(position);
        let steps = [TONES[0].0, TONES[1].0, sweep_hz].map(|hz| TAU * hz / fs);
        let amplitudes = [TONES[0].1, TONES[1].1, SWEEP_AMPLITUDE];
        // Uniform noise with the same RMS as the Gaussian it stands for: cheap, and the
        // spectrum cannot tell the difference.
        let noise_peak = NOISE_RMS * 3f64.sqrt();
        let mut samples = [0u16; FRAME_SAMPLES];
        for (i, sample) in samples.iter_mut().enumerate() {
            let mut x = noise_peak * (2.0 * self.rng.f64() - 1.0);
            for ((phase, step), amplitude) in self.phases.iter().zip(steps).zip(amplitudes) {
                x += amplitude * (phase + step * i as f64).sin();
            }
            let code = (half_range + x * half_range)
                .round()
                .clamp(0.0, 2.0 * half_range - 1.0);
            *sample = code as u16;
        }
        for (phase, step) in self.phases.iter_mut().zip(steps) {
            *phase = (*phase + step * FRAME_SAMPLES as f64) % TAU;
        }
        self.sample_index += FRAME_SAMPLES as u64;
        let end_us = (self.sample_index * 1_000_000 / u64::from(SAMPLE_RATE)) as i64;
        let header = Header {
            bits: BITS,
            ..Header::samples(
                Dtype::U16,
                self.seq,
                SAMPLE_RATE,
                Some(SenderTime::Device(end_us)),
            )
        };
        self.seq = self.seq.wrapping_add(1);
        let mut frame =
            Vec::with_capacity(binary::HEADER_LEN + FRAME_SAMPLES * 2 + binary::CRC_LEN);
        binary::encode_values(&header, &samples, u16::to_le_bytes, &mut frame);
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

/// Runs the board in real time until the receiver goes away.
pub async fn run(tx: EventSender, clock: Clock) {
    let mut board = DemoBoard::new(0x5EED);
    let mut decoder = ByteDecoder::new(Format::Frame, LineOptions::default());
    if tx
        .send(SourceEvent::Status(LinkState::Connected))
        .await
        .is_err()
    {
        return;
    }
    let boot = Instant::now();
    let mut bytes = Vec::new();
    loop {
        let frame_end = boot + Duration::from_micros(board.next_frame_end_us() as u64);
        let delay = board.delivery_delay();
        bytes.clear();
        board.next_frame(&mut bytes);
        tokio::time::sleep_until(frame_end + delay).await;
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
