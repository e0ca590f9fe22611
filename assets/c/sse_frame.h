/*
 * sse-tui binary frames, version 1 (docs/SPEC.md section 1): the reference encoder for
 * firmware. Portable C99; needs nothing beyond <stdint.h> and <string.h>.
 *
 * A frame is a 24-byte header, count x channels values of one dtype (little-endian,
 * interleaved channel by channel), and the CRC-32 of everything before it. On a byte
 * stream (USB CDC, UART) each frame is COBS-encoded and followed by one 0x00 byte.
 */
#ifndef SSE_FRAME_H
#define SSE_FRAME_H

#include <stdint.h>
#include <string.h>

#define SSE_VERSION 1u
#define SSE_HEADER_LEN 24u
#define SSE_CRC_LEN 4u
/* Timestamp is Unix time (us since 1970); clear: the device clock (us since boot). */
#define SSE_FLAG_UNIX_TIME 1u
/* Flags bits 1-3 of a spectrum frame: the window applied before the FFT (periodic forms, as
 * CMSIS-DSP's arm_hanning_f32 and friends make them). 0 says nothing (the host assumes rect,
 * or what --board-window says). */
#define SSE_WINDOW_SHIFT 1u
#define SSE_WINDOW_RECT (1u << SSE_WINDOW_SHIFT)
#define SSE_WINDOW_HANN (2u << SSE_WINDOW_SHIFT)
#define SSE_WINDOW_HAMMING (3u << SSE_WINDOW_SHIFT)
#define SSE_WINDOW_BLACKMAN_HARRIS (4u << SSE_WINDOW_SHIFT)
#define SSE_WINDOW_FLATTOP (5u << SSE_WINDOW_SHIFT)

enum sse_kind {
    SSE_KIND_SAMPLES = 0,         /* time-domain samples */
    /* A spectrum of count = N/2 bins: the magnitudes of an unnormalised N-point real FFT, as
     * arm_rfft_fast_f32 + arm_cmplx_mag_f32 make them. A full-scale sine reads
     * N/2 x full-scale amplitude x the window's coherent gain; set bits to the ADC's
     * resolution when the FFT ran on raw ADC codes (its full scale is then 2^(bits-1)). */
    SSE_KIND_SPECTRUM_LINEAR = 1,
    SSE_KIND_SPECTRUM_DB = 2 /* 20 log10 of the same magnitudes */
};

enum sse_dtype {
    SSE_DTYPE_U8 = 0,
    SSE_DTYPE_I8 = 1,
    SSE_DTYPE_U16 = 2,
    SSE_DTYPE_I16 = 3,
    SSE_DTYPE_U32 = 4,
    SSE_DTYPE_I32 = 5,
    SSE_DTYPE_F32 = 6
};

typedef struct {
    uint8_t kind;          /* enum sse_kind */
    uint8_t dtype;         /* enum sse_dtype */
    uint8_t channels;      /* 1..16 */
    uint8_t bits;          /* ADC resolution (12 for a 12-bit ADC in a u16); 0 = full width */
    uint8_t flags;         /* SSE_FLAG_UNIX_TIME, SSE_WINDOW_* (spectra), or 0 */
    uint16_t count;        /* values per channel, 1..65535 */
    uint32_t seq;          /* +1 per frame, wraps */
    uint32_t sample_rate;  /* Hz; 0 = unknown */
    uint64_t timestamp_us; /* time of the frame's last sample; 0 = none */
} sse_header;

/* Bytes per value of a dtype (0 for an unknown one). */
uint32_t sse_dtype_size(uint8_t dtype);

/* CRC-32/ISO-HDLC (the zlib CRC-32), continued from `crc` (start with 0). */
uint32_t sse_crc32(uint32_t crc, const uint8_t *data, uint32_t len);

/* Writes header, payload and CRC to `out`. `payload` holds count x channels values of
 * `dtype`, little-endian (as an STM32 stores them). Returns the frame's length, or 0 when
 * the header is invalid, the payload length does not match it, or `out` is too small. */
uint32_t sse_frame_encode(const sse_header *header, const void *payload, uint32_t payload_len,
                          uint8_t *out, uint32_t out_cap);

/* The most bytes sse_cobs_encode writes for `len` input bytes, delimiter included. */
#define SSE_COBS_MAX(len) ((len) + (len) / 254u + 2u)

/* COBS-encodes `in` and appends the 0x00 delimiter. Returns bytes written, or 0 when
 * `out` is too small. */
uint32_t sse_cobs_encode(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t out_cap);

#endif /* SSE_FRAME_H */
