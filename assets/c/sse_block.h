/*
 * One block of ADC codes to one sse-tui frame on the wire (COBS-framed), as raw samples or
 * as the spectrum CMSIS-DSP makes of it on the MCU. Shared by the firmware examples, so the
 * UART firmware that runs in QEMU and the USB CDC example send the same frames.
 *
 * Spectra need CMSIS-DSP (build with -DSSE_WITH_CMSIS_DSP and its sources; see
 * stm32f4/Makefile and stm32f4/fetch-cmsis-dsp.sh).
 */
#ifndef SSE_BLOCK_H
#define SSE_BLOCK_H

#include <stdint.h>

#include "sse_frame.h"

/* The ADC's resolution: codes are right-aligned, offset binary (2048 = 0 V at 12 bits). */
#define SSE_ADC_BITS 12u
/* The most samples per block, and the largest FFT (CMSIS-DSP's arm_rfft_fast_f32 goes to 4096). */
#define SSE_BLOCK_MAX 4096u

/* Bytes on the wire of the largest frame each kind makes (COBS and delimiter included). */
#define SSE_WIRE_SAMPLES_MAX SSE_COBS_MAX(SSE_HEADER_LEN + SSE_BLOCK_MAX * 2u + SSE_CRC_LEN)
#define SSE_WIRE_SPECTRUM_MAX SSE_COBS_MAX(SSE_HEADER_LEN + SSE_BLOCK_MAX / 2u * 4u + SSE_CRC_LEN)

/* What every frame of a stream shares. */
typedef struct {
    uint32_t sample_rate; /* Hz */
    uint32_t seq;         /* the next frame's; +1 per frame sent */
} sse_stream;

/* `count` 12-bit codes as one kind-0 frame (u16, bits = 12). `timestamp_us`: the device
 * clock at the block's last sample. Returns bytes written to `wire`, 0 when it is too small. */
uint32_t sse_block_samples(sse_stream *stream, const uint16_t *codes, uint16_t count,
                           uint64_t timestamp_us, uint8_t *wire, uint32_t wire_cap);

#ifdef SSE_WITH_CMSIS_DSP
/* Prepares the FFT of `n` points (a power of two, 32 to 4096) and its Hann window.
 * Returns 0, or -1 for a size CMSIS-DSP has no table for. */
int sse_spectrum_init(uint16_t n);

/* `n` codes (the size given to sse_spectrum_init) as one kind-1 frame: the codes less
 * mid-scale, through a Hann window (arm_hanning_f32), arm_rfft_fast_f32, then
 * arm_cmplx_mag_f32: n/2 f32 magnitudes in ADC codes (bits = 12, the window in the flags),
 * exactly what sse-tui reads at the tone's dBFS. Bin 0 holds DC and Nyquist (CMSIS packs
 * them). Returns bytes written to `wire`, 0 when it is too small or not initialised. */
uint32_t sse_block_spectrum(sse_stream *stream, const uint16_t *codes, uint64_t timestamp_us,
                            uint8_t *wire, uint32_t wire_cap);
#endif

#endif /* SSE_BLOCK_H */
