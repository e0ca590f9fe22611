/*
 * Bare-metal firmware for an STM32F405 (a netduinoplus2 board, or QEMU's model of one): the
 * SysTick timer paces ADC1 at SAMPLE_RATE, and each block goes out on USART1 (PA9) as one
 * sse-tui frame:
 * raw 12-bit samples, or, built with -DSSE_WITH_CMSIS_DSP, the spectrum CMSIS-DSP computes
 * here. No HAL: the registers are in stm32f405.h, the start-up in startup.c. Build with the
 * Makefile beside it; watch with `sse-tui --serial PORT --baud 460800` (the raw variant:
 * add `--fft 4096` to see the whole 4096-sample period of QEMU's test signal).
 *
 * The clocks are the reset ones (the 16 MHz HSI, no PLL), so the numbers below hold on a
 * real board as it comes out of reset. QEMU's netduinoplus2 runs its core at 168 MHz, given
 * at build time (CPU_CLOCK_HZ). Why SysTick and not TIM2: QEMU 7.2's TIM2 model does not
 * repeat its update event every ARR ticks (its rate did not follow ARR at all), while its
 * SysTick is exact; on hardware, the CDC example's TIM2-triggered ADC with DMA is the way.
 */
#include "sse_block.h"
#include "stm32f405.h"

#ifndef SAMPLE_RATE
#define SAMPLE_RATE 16000u
#endif
#ifndef CPU_CLOCK_HZ
#define CPU_CLOCK_HZ 16000000u /* HSI at reset */
#endif
#define UART_CLOCK_HZ 16000000u /* APB2 on HSI at reset */
/* 16 MHz / 460800 = 34.7, so BRR 35 runs 0.8 % slow: well inside a UART's tolerance
 * (921600 would be 2.1 % off). 46 kB/s carries 16 kHz of u16 samples (32 kB/s). */
#define BAUD 460800u

#ifdef SSE_WITH_CMSIS_DSP
#define BLOCK 4096u /* one FFT per frame */
#define WIRE_MAX SSE_WIRE_SPECTRUM_MAX
#else
#define BLOCK 512u /* 32 ms at 16 kHz: 31 frames a second */
#define WIRE_MAX SSE_WIRE_SAMPLES_MAX
#endif

/* Two blocks: the timer's interrupt fills one while the main loop sends the other. */
static uint16_t blocks[2][BLOCK];
static volatile uint32_t filled;
static volatile uint32_t filling;
/* The block waiting to be sent (-1: none) and its number since boot. A block that fills
 * while the previous one still waits replaces it: the host sees the gap in seq. */
static volatile int32_t ready = -1;
static volatile uint32_t ready_number;
static volatile uint32_t blocks_done;
static uint8_t wire[WIRE_MAX];

static void uart_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    GPIOA_MODER = (GPIOA_MODER & ~(3u << 18)) | (2u << 18); /* PA9: alternate function */
    GPIOA_AFRH = (GPIOA_AFRH & ~(0xFu << 4)) | (7u << 4);   /* AF7: USART1_TX */
    USART1_BRR = (UART_CLOCK_HZ + BAUD / 2u) / BAUD;
    USART1_CR1 = USART_CR1_UE | USART_CR1_TE;
}

static void uart_write(const uint8_t *bytes, uint32_t len)
{
    uint32_t i;
    for (i = 0; i < len; i++) {
        while (!(USART1_SR & USART_SR_TXE)) {
        }
        USART1_DR = bytes[i];
    }
}

static void adc_init(void)
{
    RCC_APB2ENR |= RCC_APB2ENR_ADC1EN;
    GPIOA_MODER |= 3u << 0; /* PA0: analog, ADC1_IN0 */
    ADC1_CR1 = 0;           /* 12 bits */
    ADC1_SMPR2 = 1u << 0;   /* channel 0: 15 cycles of sampling */
    ADC1_SQR1 = 0;          /* one conversion in the sequence */
    ADC1_SQR3 = 0;          /* ... of channel 0 */
    ADC1_CR2 = ADC_CR2_ADON;
    ADC1_CR2 |= ADC_CR2_SWSTART; /* the first interrupt's sample */
}

/* The conversion the previous interrupt started (a real ADC1 needs 15 ADC clocks, 2 us
 * here, far less than a sample period), then the next one started: the samples are taken
 * at the timer's instants without waiting on EOC in the interrupt. (QEMU's model never sets
 * EOC: it answers a read of DR while a conversion was started.) */
static uint16_t adc_take_and_restart(void)
{
    uint16_t code = (uint16_t)(ADC1_DR & 0xFFFu);
    ADC1_CR2 |= ADC_CR2_SWSTART;
    return code;
}

/* An interrupt every CPU_CLOCK_HZ / SAMPLE_RATE cycles of the core clock: exact when it
 * divides (1000 on HSI, 10500 at QEMU's 168 MHz). */
static void timer_start(void)
{
    SYST_RVR = CPU_CLOCK_HZ / SAMPLE_RATE - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

void SysTick_Handler(void)
{
    blocks[filling][filled] = adc_take_and_restart();
    if (++filled == BLOCK) {
        ready = (int32_t)filling;
        ready_number = blocks_done++;
        filling ^= 1u;
        filled = 0;
    }
}

int main(void)
{
    sse_stream stream = {SAMPLE_RATE, 0};
    uart_init();
    adc_init();
#ifdef SSE_WITH_CMSIS_DSP
    if (sse_spectrum_init(BLOCK) != 0) {
        for (;;) {
        }
    }
#endif
    timer_start();
    for (;;) {
        int32_t block;
        uint32_t number, len;
        uint64_t last_sample_us;
        /* Take the waiting block with interrupts held off, or sleep until the next one. */
        __asm volatile("cpsid i" ::: "memory");
        block = ready;
        number = ready_number;
        ready = -1;
        if (block < 0) {
            __asm volatile("wfi");
        }
        __asm volatile("cpsie i" ::: "memory");
        if (block < 0) {
            continue;
        }
        stream.seq = number; /* blocks lost to a slow link leave gaps */
        last_sample_us = (uint64_t)(number + 1u) * BLOCK * 1000000u / SAMPLE_RATE;
#ifdef SSE_WITH_CMSIS_DSP
        len = sse_block_spectrum(&stream, blocks[block], last_sample_us, wire, sizeof wire);
#else
        len = sse_block_samples(&stream, blocks[block], BLOCK, last_sample_us, wire, sizeof wire);
#endif
        uart_write(wire, len);
    }
}
