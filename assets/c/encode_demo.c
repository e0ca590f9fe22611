/*
 * A host-side example of the encoder: writes frames of a 1 kHz tone sampled at 8 kHz by
 * a 12-bit ADC (offset binary in a u16) to stdout, COBS-framed, as a board would send
 * them over USB CDC.
 *
 *   cc -std=c99 -O2 sse_frame.c encode_demo.c -o encode_demo
 *   ./encode_demo 100 > tone.bin && sse-tui --replay tone.bin
 */
#include <stdio.h>
#include <stdlib.h>

#include "sse_frame.h"

#define SAMPLES 256u

int main(int argc, char **argv)
{
    /* One period of 1 kHz at 8 kHz: sin(k * 45 degrees) at 0.5 of full scale. */
    static const int16_t period[8] = {0, 724, 1024, 724, 0, -724, -1024, -724};
    uint8_t samples[SAMPLES * 2];
    uint8_t frame[SSE_HEADER_LEN + sizeof samples + SSE_CRC_LEN];
    uint8_t wire[SSE_COBS_MAX(sizeof frame)];
    long frames = argc > 1 ? strtol(argv[1], NULL, 10) : 16;
    long f;
    uint32_t i;
    sse_header h;
    h.kind = SSE_KIND_SAMPLES;
    h.dtype = SSE_DTYPE_U16;
    h.channels = 1;
    h.bits = 12;
    h.flags = 0;
    h.count = SAMPLES;
    h.sample_rate = 8000;
    for (f = 0; f < frames; f++) {
        uint32_t frame_len, wire_len;
        for (i = 0; i < SAMPLES; i++) {
            uint16_t code = (uint16_t)(2048 + period[i % 8]);
            samples[2 * i] = (uint8_t)code;
            samples[2 * i + 1] = (uint8_t)(code >> 8);
        }
        h.seq = 100u + (uint32_t)f;
        /* Device clock: us since boot of the frame's last sample. */
        h.timestamp_us = (uint64_t)(f + 1) * SAMPLES * 1000000u / 8000u;
        frame_len = sse_frame_encode(&h, samples, sizeof samples, frame, sizeof frame);
        wire_len = sse_cobs_encode(frame, frame_len, wire, sizeof wire);
        if (frame_len == 0 || wire_len == 0 || fwrite(wire, 1, wire_len, stdout) != wire_len) {
            return 1;
        }
    }
    return 0;
}
