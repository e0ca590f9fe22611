/* See sse_block.h. */
#include "sse_block.h"

#ifdef SSE_WITH_CMSIS_DSP
#include "arm_math.h"
#endif

/* The frame before COBS: the largest a block makes (samples: 2 bytes each). */
static uint8_t frame[SSE_HEADER_LEN + SSE_BLOCK_MAX * 2u + SSE_CRC_LEN];

static uint32_t send(sse_stream *stream, sse_header *h, const void *payload, uint32_t payload_len,
                     uint8_t *wire, uint32_t wire_cap)
{
    uint32_t frame_len;
    h->channels = 1;
    h->bits = SSE_ADC_BITS;
    h->seq = stream->seq;
    h->sample_rate = stream->sample_rate;
    frame_len = sse_frame_encode(h, payload, payload_len, frame, sizeof frame);
    if (frame_len == 0) {
        return 0;
    }
    stream->seq++;
    return sse_cobs_encode(frame, frame_len, wire, wire_cap);
}

uint32_t sse_block_samples(sse_stream *stream, const uint16_t *codes, uint16_t count,
                           uint64_t timestamp_us, uint8_t *wire, uint32_t wire_cap)
{
    sse_header h;
    h.kind = SSE_KIND_SAMPLES;
    h.dtype = SSE_DTYPE_U16;
    h.flags = 0;
    h.count = count;
    h.timestamp_us = timestamp_us;
    /* A Cortex-M4 is little-endian: the ADC words are already in wire order. */
    return send(stream, &h, codes, (uint32_t)count * 2u, wire, wire_cap);
}

#ifdef SSE_WITH_CMSIS_DSP
static arm_rfft_fast_instance_f32 rfft;
static uint16_t fft_size;
static float32_t window[SSE_BLOCK_MAX];
static float32_t input[SSE_BLOCK_MAX];
static float32_t packed[SSE_BLOCK_MAX];
static float32_t magnitude[SSE_BLOCK_MAX / 2u];

int sse_spectrum_init(uint16_t n)
{
    if (n > SSE_BLOCK_MAX || arm_rfft_fast_init_f32(&rfft, n) != ARM_MATH_SUCCESS) {
        fft_size = 0;
        return -1;
    }
    arm_hanning_f32(window, n);
    fft_size = n;
    return 0;
}

uint32_t sse_block_spectrum(sse_stream *stream, const uint16_t *codes, uint64_t timestamp_us,
                            uint8_t *wire, uint32_t wire_cap)
{
    const float32_t mid_scale = (float32_t)(1u << (SSE_ADC_BITS - 1u));
    sse_header h;
    uint32_t i;
    if (fft_size == 0) {
        return 0;
    }
    for (i = 0; i < fft_size; i++) {
        input[i] = ((float32_t)codes[i] - mid_scale) * window[i];
    }
    arm_rfft_fast_f32(&rfft, input, packed, 0); /* also scrambles `input`: it is scratch */
    arm_cmplx_mag_f32(packed, magnitude, fft_size / 2u);
    h.kind = SSE_KIND_SPECTRUM_LINEAR;
    h.dtype = SSE_DTYPE_F32;
    h.flags = SSE_WINDOW_HANN;
    h.count = (uint16_t)(fft_size / 2u);
    h.timestamp_us = timestamp_us;
    return send(stream, &h, magnitude, (uint32_t)h.count * 4u, wire, wire_cap);
}
#endif
