/*
 * Start-up for a bare-metal STM32F405: the vector table, and a reset handler that copies
 * .data from flash, clears .bss, turns the FPU on (CMSIS-DSP's f32 code uses it) and calls
 * main. The symbols come from stm32f405.ld.
 */
#include <stdint.h>

#include "stm32f405.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void SysTick_Handler(void);

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst = &_sdata;
    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss; dst++) {
        *dst = 0;
    }
    SCB_CPACR |= 0xFu << 20; /* CP10 and CP11: full access to the FPU */
    __asm volatile("dsb\n isb");
    (void)main();
    for (;;) {
    }
}

/* Anything unexpected (a fault, an interrupt nobody enabled) stops here, visibly in a debugger. */
void Default_Handler(void)
{
    for (;;) {
    }
}

/* The 16 core exceptions; no peripheral interrupt is enabled, so the table ends there. */
__attribute__((section(".isr_vector"), used))
static void (*const vectors[16])(void) = {
    [0] = (void (*)(void))(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2 ... 14] = Default_Handler,
    [15] = SysTick_Handler,
};
