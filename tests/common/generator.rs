//! A board that plays a known signal, encoded here from SPEC §1 alone (its own CRC-32 and
//! COBS, not the project's encoder), so what the program measures is held to a truth it did
//! not compute: a 12-bit sine with white noise of known power, a spur, a second tone.

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::board::Board;

/// A 12-bit ADC sampling `tones` and Gaussian noise, `samples` a frame.
#[derive(Clone, Debug)]
pub struct Signal {
    pub fs: f64,
    pub samples: usize,
    /// (Hz, amplitude in full-scale units: 1.0 is a full-scale sine).
    pub tones: Vec<(f64, f64)>,
    /// Noise RMS in full-scale units.
    pub noise_rms: f64,
    pub seed: u64,
    /// The converter's bow and S before quantising: y = x + c₂x² + c₃x³.
    pub nonlinearity: [f64; 2],
    /// A code the converter never gives: what would be it is the next one up (2 LSB wide).
    pub missing_code: Option<u16>,
}

/// One code step in full-scale units (a 12-bit converter spans ±1 in 4096 codes).
pub const LSB: f64 = 2.0 / 4096.0;

impl Signal {
    /// The SNR this signal has at the converter's output: the first tone's power over the
    /// noise's plus the quantiser's (an LSB²/12 of uniform rounding error).
    pub fn snr_db(&self) -> f64 {
        let signal = self.tones[0].1.powi(2) / 2.0;
        let noise = self.noise_rms.powi(2) + LSB * LSB / 12.0;
        10.0 * (signal / noise).log10()
    }

    /// Frames from `seq` on, as 12-bit offset-binary codes in u16.
    pub fn codes(&self, seq: u32) -> Vec<u16> {
        let mut rng = Gaussian::new(self.seed ^ u64::from(seq).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let first = u64::from(seq) * self.samples as u64;
        (0..self.samples)
            .map(|i| {
                let t = (first + i as u64) as f64 / self.fs;
                let x: f64 = self
                    .tones
                    .iter()
                    .map(|&(f, a)| a * (TAU * f * t).sin())
                    .sum::<f64>()
                    + self.noise_rms * rng.next();
                let [c2, c3] = self.nonlinearity;
                let y = x + c2 * x * x + c3 * x * x * x;
                let code = (2048.0 + y * 2048.0).round().clamp(0.0, 4095.0) as u16;
                if Some(code) == self.missing_code {
                    code + 1
                } else {
                    code
                }
            })
            .collect()
    }

    /// Frame `seq` on the byte stream: the binary frame of SPEC §1, COBS-encoded, then 0x00.
    pub fn frame_bytes(&self, seq: u32) -> Vec<u8> {
        let mut out = cobs(&self.frame(seq));
        out.push(0);
        out
    }

    /// Frame `seq` as the binary frame of SPEC §1 (what a `frame` event carries in base64).
    pub fn frame(&self, seq: u32) -> Vec<u8> {
        let codes = self.codes(seq);
        let mut frame = vec![1u8, 0, 2, 1, 12, 0];
        frame.extend_from_slice(&(codes.len() as u16).to_le_bytes());
        frame.extend_from_slice(&seq.to_le_bytes());
        frame.extend_from_slice(&(self.fs as u32).to_le_bytes());
        frame.extend_from_slice(&0u64.to_le_bytes());
        for code in codes {
            frame.extend_from_slice(&code.to_le_bytes());
        }
        let crc = crc32(&frame);
        frame.extend_from_slice(&crc.to_le_bytes());
        frame
    }

    /// `frames` frames from 0 on, as a recording `--replay` plays.
    pub fn record(&self, path: &Path, frames: u32) {
        let bytes: Vec<u8> = (0..frames).flat_map(|seq| self.frame_bytes(seq)).collect();
        std::fs::write(path, bytes).unwrap();
    }

    /// Seconds a frame stands for.
    pub fn frame_seconds(&self) -> f64 {
        self.samples as f64 / self.fs
    }
}

/// CRC-32/ISO-HDLC, bit by bit.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Consistent overhead byte stuffing: no zero byte in the output.
pub fn cobs(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    let mut code_at = 0;
    let mut code = 1u8;
    for &byte in bytes {
        if byte == 0 {
            out[code_at] = code;
            code_at = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(byte);
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out
}

/// Normal deviates from xorshift64* through Box–Muller.
struct Gaussian {
    state: u64,
    spare: Option<f64>,
}

impl Gaussian {
    fn new(seed: u64) -> Self {
        Self {
            state: seed | 1,
            spare: None,
        }
    }

    fn uniform(&mut self) -> f64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let x = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        let (u, v) = (self.uniform(), self.uniform());
        let r = (-2.0 * u.ln()).sqrt();
        self.spare = Some(r * (TAU * v).sin());
        r * (TAU * v).cos()
    }
}

/// A 1 kHz tone at -6 dBFS in white noise, 12 bits at 48 kHz, 1024 samples a frame:
/// SNR 50.9 dB by its construction.
pub fn tone() -> Signal {
    Signal {
        fs: 48_000.0,
        samples: 1024,
        tones: vec![(1000.0, 0.5)],
        noise_rms: 1e-3,
        seed: 7,
        nonlinearity: [0.0, 0.0],
        missing_code: None,
    }
}

/// A board playing `signal` in real time on a pty until dropped; `silent` sends nothing.
pub struct Playing {
    pub link: PathBuf,
    running: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Playing {
    pub fn start(dir: &Path, signal: Signal, silent: bool) -> Self {
        let link = dir.join("ttyACM0");
        let mut board = Board::plug_in(&link);
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let thread = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            let mut seq = 0u32;
            while flag.load(Ordering::Relaxed) {
                if !silent && board.write(&signal.frame_bytes(seq)).is_err() {
                    return;
                }
                seq += 1;
                // The pace of a board, not a wait for anything: a frame every 21.3 ms.
                let due = start + Duration::from_secs_f64(signal.frame_seconds() * f64::from(seq));
                std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
            }
        });
        Self {
            link,
            running,
            thread: Some(thread),
        }
    }
}

impl Drop for Playing {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
        // Once the program under test has gone, nobody reads the pty and the board's write
        // blocks when its buffer is full: read it here until the board hangs up.
        if let Ok(mut reader) = std::fs::File::open(&self.link) {
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while matches!(std::io::Read::read(&mut reader, &mut buffer), Ok(n) if n > 0) {}
            });
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
