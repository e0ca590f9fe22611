/*
 * Example: an STM32F4 sampling with ADC1 into a circular DMA buffer and sending each half
 * as one sse-tui frame over USB CDC (STM32CubeF4 HAL + the USB Device CDC class).
 * Not built by this project (it needs ST's HAL and USB stack): copy it, with sse_frame.c/.h
 * and sse_block.c/.h, into a CubeIDE project where ADC1 is triggered by TIM2's TRGO at
 * SAMPLE_RATE and its DMA stream is circular. Define SSE_WITH_CMSIS_DSP (and add CMSIS-DSP,
 * which CubeIDE ships) to send the spectrum computed on the MCU instead of the samples.
 * The bare-metal firmware in stm32f4/ sends the same frames over a UART, and runs in QEMU.
 *
 * Watch it with:  sse-tui --serial auto       (press t for SNR, THD, SINAD, ENOB, SFDR)
 *
 * A fair ADC measurement (what sse-tui's figures assume, after IEEE Std 1241):
 *  - Feed a clean sine, cleaner than the converter: a generator or a filtered DDS whose
 *    harmonics and noise lie well under the ADC's (a 12-bit ADC: harmonics under -90 dBc).
 *  - Drive it near full scale, -1 dBFS (about 1.8 V peak to peak on 3.3 V VREF+, centred
 *    at 1.65 V): louder clips, quieter wastes range; enob_fs_bits refers ENOB to full scale.
 *  - Pick a coherent test frequency: f = M * SAMPLE_RATE / N, with N the FFT size on
 *    screen and M odd and prime to N (N a power of two: any odd M). Every cycle then fits
 *    the record exactly, the tone sits on one bin, and every window (rect included) reads the
 *    same figures. Here, with N = 1024 at 48 kHz: M = 23 gives 1078.125 Hz, M = 211 gives
 *    9890.625 Hz. The generator must be locked to the ADC's clock (or be within about
 *    fs/N/100 of it) for the tone to stay on its bin.
 *  - Without a coherent frequency, use a window whose leakage falls below the converter's
 *    noise: blackman-harris or flattop (press w). Hann's skirt reaches far on a 12-bit
 *    converter at small FFT sizes; rect and Hamming cannot measure a tone between bins at
 *    all, and sse-tui says so instead of showing a wrong SNR.
 *  - Give the noise a chance to be white: at least half an LSB of noise at the input (any
 *    real front end has it), or the quantiser's error of a tone at a simple fraction of fs
 *    lands on harmonic bins instead of spreading as LSB^2/12.
 *  - Sample from a timer trigger (not continuous conversion) so fs is exact, and keep the
 *    sampling time long enough for the source impedance (RM0090: t_S >= 15 cycles for a
 *    low-impedance buffer; more for higher impedance, or the ADC's THD worsens).
 */
#include "main.h"
#include "usbd_cdc_if.h"
#include "sse_block.h"

#define SAMPLE_RATE 48000u
#define FRAME_SAMPLES 1024u

extern ADC_HandleTypeDef hadc1;

static uint16_t adc_buffer[2 * FRAME_SAMPLES]; /* two halves: DMA fills one, we send the other */
#ifdef SSE_WITH_CMSIS_DSP
static uint8_t wire[SSE_WIRE_SPECTRUM_MAX];
#else
static uint8_t wire[SSE_WIRE_SAMPLES_MAX];
#endif
static const uint16_t *volatile ready_half;
static volatile uint32_t ready_number;
static uint32_t halves_done;
static sse_stream stream = {SAMPLE_RATE, 0};

void sse_start(void)
{
#ifdef SSE_WITH_CMSIS_DSP
    (void)sse_spectrum_init(FRAME_SAMPLES); /* spectra: one 1024-point FFT per half */
#endif
    HAL_ADC_Start_DMA(&hadc1, (uint32_t *)adc_buffer, 2u * FRAME_SAMPLES);
}

static void half_done(const uint16_t *half)
{
    ready_number = halves_done++;
    ready_half = half;
}

void HAL_ADC_ConvHalfCpltCallback(ADC_HandleTypeDef *hadc) { (void)hadc; half_done(&adc_buffer[0]); }
void HAL_ADC_ConvCpltCallback(ADC_HandleTypeDef *hadc) { (void)hadc; half_done(&adc_buffer[FRAME_SAMPLES]); }

/* Call from the main loop. A frame that cannot be sent in time is dropped: seq is the half's
 * number since start, so the host counts the gap. */
void sse_poll(void)
{
    const uint16_t *half = ready_half;
    uint32_t number = ready_number, wire_len;
    uint64_t last_sample_us;
    if (half == 0) {
        return;
    }
    ready_half = 0;
    stream.seq = number;
    last_sample_us = (uint64_t)(number + 1u) * FRAME_SAMPLES * 1000000u / SAMPLE_RATE;
#ifdef SSE_WITH_CMSIS_DSP
    wire_len = sse_block_spectrum(&stream, half, last_sample_us, wire, sizeof wire);
#else
    wire_len = sse_block_samples(&stream, half, FRAME_SAMPLES, last_sample_us, wire, sizeof wire);
#endif
    if (wire_len != 0) {
        (void)CDC_Transmit_FS(wire, (uint16_t)wire_len); /* USBD_BUSY: this frame is dropped */
    }
}
