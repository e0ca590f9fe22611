"""Spectra made the way an STM32 makes them, with ARM's own CMSIS-DSP (PyPI `cmsisdsp`, the
same C code as on the MCU): a tone of known level through a window, `arm_rfft_fast_f32`,
then `arm_cmplx_mag_f32` (and 20*log10 for kind 2). Each case is written as a recording of
binary frames (SPEC section 1, encoded here independently of sse-tui: COBS and zlib's CRC-32),
beside the same tone as raw samples, and listed with its truth in cases.json.

    python cmsisdsp_frames.py OUT_DIR
"""
import json
import math
import os
import struct
import sys
import zlib

import cmsisdsp as dsp
import numpy as np

FS = 48_000
FRAMES = 50
WINDOW_CODES = {"rect": 1, "hann": 2, "hamming": 3, "blackman-harris": 4}


def cobs(data: bytes) -> bytes:
    out, block = bytearray(), bytearray()
    for byte in data:
        if byte == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
        else:
            block.append(byte)
            if len(block) == 254:
                out += b"\xff" + block
                block.clear()
    out += bytes([len(block) + 1]) + block + b"\x00"
    return bytes(out)


def frame(kind, dtype, bits, flags, seq, values) -> bytes:
    header = struct.pack(
        "<BBBBBBHIIQ", 1, kind, dtype, 1, bits, flags, len(values), seq, FS,
        (seq + 1) * 10_000,
    )
    body = header + values.astype("<f4").tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def window(name, n):
    if name == "rect":
        return np.ones(n, dtype=np.float32)
    make = {
        "hann": dsp.arm_hanning_f32,
        "hamming": dsp.arm_hamming_f32,
        "blackman-harris": dsp.arm_blackman_harris_92db_f32,
    }[name]
    return np.asarray(make(n), dtype=np.float32)


def cmsis_magnitudes(samples):
    rfft = dsp.arm_rfft_fast_instance_f32()
    status = dsp.arm_rfft_fast_init_f32(rfft, len(samples))
    assert status == 0, f"arm_rfft_fast_init_f32({len(samples)}): {status}"
    packed = dsp.arm_rfft_fast_f32(rfft, samples.astype(np.float32), 0)
    return np.asarray(dsp.arm_cmplx_mag_f32(packed), dtype=np.float32)


def write(path, frames):
    with open(path, "wb") as f:
        for one in frames:
            f.write(cobs(one))


def main(out):
    os.makedirs(out, exist_ok=True)
    cases = []
    for n in (256, 1024, 4096):
        bin_ = n // 16
        for name in ("rect", "hann", "blackman-harris"):
            for dbfs in (-6.0206, -40.0):
                for adc_bits in (0, 12):
                    # bits = 0: floats, full scale 1.0; bits = 12: raw 12-bit codes
                    # around mid-scale as floats, full scale 2048.
                    full_scale = 2.0 ** (adc_bits - 1) if adc_bits else 1.0
                    amplitude = full_scale * 10 ** (dbfs / 20)
                    t = np.arange(n)
                    x = (amplitude * np.sin(2 * math.pi * bin_ * t / n + 0.3)).astype(np.float32)
                    magnitudes = cmsis_magnitudes(x * window(name, n))
                    stem = f"n{n}_{name}_{-dbfs:.0f}dB_bits{adc_bits}"
                    flags = WINDOW_CODES[name] << 1
                    for kind, values in ((1, magnitudes), (2, 20 * np.log10(np.maximum(magnitudes, 1e-30)))):
                        path = os.path.join(out, f"{stem}_kind{kind}.bin")
                        write(path, [frame(kind, 6, adc_bits, flags, s, values) for s in range(FRAMES)])
                        cases.append({"file": path, "kind": kind, "n": n, "window": name,
                                      "dbfs": dbfs, "hz": bin_ * FS / n, "board_window": None})
                    # The same tone as raw samples, for sse-tui's own FFT.
                    path = os.path.join(out, f"{stem}_samples.bin")
                    write(path, [frame(0, 6, 0, 0, s, x / full_scale) for s in range(FRAMES)])
                    cases.append({"file": path, "kind": 0, "n": n, "window": name,
                                  "dbfs": dbfs, "hz": bin_ * FS / n, "board_window": None})
    # As a board that does not say its window sends it: flags 0, the window given on the
    # command line; and the issue's own case, rect and no flags.
    n, bin_ = 1024, 64
    x = (0.5 * np.sin(2 * math.pi * bin_ * np.arange(n) / n)).astype(np.float32)
    for name, board_window in (("hann", "hann"), ("rect", None)):
        path = os.path.join(out, f"unsaid_{name}.bin")
        magnitudes = cmsis_magnitudes(x * window(name, n))
        write(path, [frame(1, 6, 0, 0, s, magnitudes) for s in range(FRAMES)])
        cases.append({"file": path, "kind": 1, "n": n, "window": name, "dbfs": -6.0206,
                      "hz": 3000.0, "board_window": board_window})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
