/*
 * Example: an STM32F4 sampling with ADC1 into a circular DMA buffer and sending each half
 * as one sse-tui frame over USB CDC (STM32CubeF4 HAL + the USB Device CDC class).
 * Not built by this project: copy it, with sse_frame.c/.h, into a CubeIDE project where
 * ADC1 is triggered by a timer at SAMPLE_RATE and its DMA stream is circular.
 *
 * Watch it with:  sse-tui --serial auto
 */
#include "main.h"
#include "usbd_cdc_if.h"
#include "sse_frame.h"

#define SAMPLE_RATE 48000u
#define FRAME_SAMPLES 1024u

extern ADC_HandleTypeDef hadc1;

static uint16_t adc_buffer[2 * FRAME_SAMPLES]; /* two halves: DMA fills one, we send the other */
static uint8_t frame[SSE_HEADER_LEN + FRAME_SAMPLES * 2u + SSE_CRC_LEN];
static uint8_t wire[SSE_COBS_MAX(sizeof frame)];
static const uint16_t *volatile ready_half;
static volatile uint64_t ready_time_us;
static uint32_t seq;
static uint64_t samples_taken;

void sse_start(void)
{
    HAL_ADC_Start_DMA(&hadc1, (uint32_t *)adc_buffer, 2u * FRAME_SAMPLES);
}

static void half_done(const uint16_t *half)
{
    samples_taken += FRAME_SAMPLES;
    ready_time_us = samples_taken * 1000000u / SAMPLE_RATE; /* device clock, last sample */
    ready_half = half;
}

void HAL_ADC_ConvHalfCpltCallback(ADC_HandleTypeDef *hadc) { (void)hadc; half_done(&adc_buffer[0]); }
void HAL_ADC_ConvCpltCallback(ADC_HandleTypeDef *hadc) { (void)hadc; half_done(&adc_buffer[FRAME_SAMPLES]); }

/* Call from the main loop. The Cortex-M4 is little-endian, so the ADC words are already in
 * wire order. A frame that cannot be sent in time is dropped: the host counts the gap. */
void sse_poll(void)
{
    const uint16_t *half = ready_half;
    sse_header h;
    uint32_t frame_len, wire_len;
    if (half == 0) {
        return;
    }
    ready_half = 0;
    h.kind = SSE_KIND_SAMPLES;
    h.dtype = SSE_DTYPE_U16;
    h.channels = 1;
    h.bits = 12;
    h.flags = 0;
    h.count = FRAME_SAMPLES;
    h.seq = seq++;
    h.sample_rate = SAMPLE_RATE;
    h.timestamp_us = ready_time_us;
    frame_len = sse_frame_encode(&h, half, FRAME_SAMPLES * 2u, frame, sizeof frame);
    wire_len = sse_cobs_encode(frame, frame_len, wire, sizeof wire);
    if (wire_len != 0) {
        (void)CDC_Transmit_FS(wire, (uint16_t)wire_len); /* USBD_BUSY: this frame is dropped */
    }
}
