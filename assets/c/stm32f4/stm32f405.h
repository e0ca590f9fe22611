/*
 * The few STM32F405 registers the bare-metal firmware touches (RM0090), by address: no HAL,
 * no vendor headers. QEMU's netduinoplus2 machine models the same addresses.
 */
#ifndef STM32F405_H
#define STM32F405_H

#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(addr))

/* Reset and clock control */
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB2ENR REG(0x40023844u)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB2ENR_USART1EN (1u << 4)
#define RCC_APB2ENR_ADC1EN (1u << 8)

/* GPIOA: PA0 = ADC1_IN0 (analog), PA9 = USART1_TX (alternate function 7) */
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_AFRH REG(0x40020024u)

/* USART1 */
#define USART1_SR REG(0x40011000u)
#define USART1_DR REG(0x40011004u)
#define USART1_BRR REG(0x40011008u)
#define USART1_CR1 REG(0x4001100Cu)
#define USART_SR_TXE (1u << 7)
#define USART_SR_TC (1u << 6)
#define USART_CR1_UE (1u << 13)
#define USART_CR1_TE (1u << 3)

/* ADC1 */
#define ADC1_SR REG(0x40012000u)
#define ADC1_CR1 REG(0x40012004u)
#define ADC1_CR2 REG(0x40012008u)
#define ADC1_SMPR2 REG(0x40012010u)
#define ADC1_SQR1 REG(0x4001202Cu)
#define ADC1_SQR3 REG(0x40012034u)
#define ADC1_DR REG(0x4001204Cu)
#define ADC_SR_EOC (1u << 1)
#define ADC_CR2_ADON (1u << 0)
#define ADC_CR2_SWSTART (1u << 30)

/* Cortex-M4 core: SysTick, the FPU's access control */
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* the core clock, not HCLK/8 */
#define SCB_CPACR REG(0xE000ED88u)

#endif /* STM32F405_H */
