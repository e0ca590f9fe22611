/* sse-tui binary frames, version 1: the reference encoder. See sse_frame.h. */
#include "sse_frame.h"

uint32_t sse_dtype_size(uint8_t dtype)
{
    switch (dtype) {
    case SSE_DTYPE_U8:
    case SSE_DTYPE_I8:
        return 1;
    case SSE_DTYPE_U16:
    case SSE_DTYPE_I16:
        return 2;
    case SSE_DTYPE_U32:
    case SSE_DTYPE_I32:
    case SSE_DTYPE_F32:
        return 4;
    default:
        return 0;
    }
}

/* Bit by bit: small and table-free for flash-constrained parts. Use the MCU's CRC unit or
 * a table where speed matters; the result must be the same. */
uint32_t sse_crc32(uint32_t crc, const uint8_t *data, uint32_t len)
{
    uint32_t i;
    int bit;
    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= data[i];
        for (bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static void put_le(uint8_t *out, uint64_t value, int bytes)
{
    int i;
    for (i = 0; i < bytes; i++) {
        out[i] = (uint8_t)(value >> (8 * i));
    }
}

uint32_t sse_frame_encode(const sse_header *h, const void *payload, uint32_t payload_len,
                          uint8_t *out, uint32_t out_cap)
{
    uint32_t size = sse_dtype_size(h->dtype);
    uint32_t total;
    if (size == 0 || h->kind > SSE_KIND_SPECTRUM_DB || h->channels < 1 || h->channels > 16 ||
        h->count == 0) {
        return 0;
    }
    if (payload_len != (uint32_t)h->count * h->channels * size) {
        return 0;
    }
    total = SSE_HEADER_LEN + payload_len + SSE_CRC_LEN;
    if (out_cap < total) {
        return 0;
    }
    out[0] = SSE_VERSION;
    out[1] = h->kind;
    out[2] = h->dtype;
    out[3] = h->channels;
    out[4] = h->bits;
    out[5] = h->flags;
    put_le(out + 6, h->count, 2);
    put_le(out + 8, h->seq, 4);
    put_le(out + 12, h->sample_rate, 4);
    put_le(out + 16, h->timestamp_us, 8);
    memcpy(out + SSE_HEADER_LEN, payload, payload_len);
    put_le(out + SSE_HEADER_LEN + payload_len, sse_crc32(0, out, SSE_HEADER_LEN + payload_len), 4);
    return total;
}

uint32_t sse_cobs_encode(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t out_cap)
{
    uint32_t read = 0, write = 1, code_at = 0;
    uint8_t code = 1;
    if (out_cap < SSE_COBS_MAX(len)) {
        return 0;
    }
    while (read < len) {
        if (in[read] == 0) {
            out[code_at] = code;
            code = 1;
            code_at = write++;
        } else {
            out[write++] = in[read];
            code++;
            if (code == 0xFF) {
                out[code_at] = code;
                code = 1;
                code_at = write++;
            }
        }
        read++;
    }
    out[code_at] = code;
    out[write++] = 0;
    return write;
}
