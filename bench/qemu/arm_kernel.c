/* A minimal bare-metal kernel that runs one Bulkhead module on QEMU's Cortex-M boards (mps2-an386,
 * Cortex-M4), with the MPU on, for the benchmark's QEMU column (docs/performance.md).
 *
 * Reset: program the MPU with the layout of bench/qemu/layout.h (BENCH_WORST selects the worst case), enable
 * it with PRIVDEFENA (the kernel's own stack and handlers use the default map), then enter the module's _start
 * in unprivileged thread mode on the process stack. The module's syscalls (svc #0, call number in r7, see
 * firmware_samples/runtime/bulkhead.h) are served here with Arm semihosting: write goes to QEMU's stdout and
 * exit ends QEMU. Any fault prints a line and exits with status 1. */
#include <stdint.h>

#include "bulkhead.h"
#include "layout.h"

#ifndef BENCH_WORST
#define BENCH_WORST 0
#endif

#define REG(addr) (*(volatile uint32_t*)(addr))
#define SCB_SHCSR 0xE000ED24u /* ARMv7-M B3.2.13: MEMFAULTENA[16], BUSFAULTENA[17], USGFAULTENA[18] */
#define SCB_CFSR 0xE000ED28u
#define SCB_MMFAR 0xE000ED34u
#define MPU_CTRL 0xE000ED94u
#define MPU_RNR 0xE000ED98u
#define MPU_RBAR 0xE000ED9Cu
#define MPU_RASR 0xE000EDA0u

extern char __kernel_stack_top[];
extern char __flash[];
extern char __ram[];
void _start(void); /* the module's entry (firmware_samples/runtime/crt0.c) */

/* ---- semihosting (Arm "Semihosting for AArch32 and AArch64", BKPT 0xAB in Thumb state) ---- */
#define SYS_OPEN 0x01u
#define SYS_WRITE 0x05u
#define SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR 0x20023u

static uint32_t semihost(uint32_t op, const void* arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt #0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static uint32_t console = UINT32_MAX;

static void host_write(const void* buf, uint32_t len) {
  if (console == UINT32_MAX) {
    const uint32_t args[3] = {(uint32_t)(uintptr_t)":tt", 4 /* "w" */, 3};
    console = semihost(SYS_OPEN, args);
  }
  const uint32_t args[3] = {console, (uint32_t)(uintptr_t)buf, len};
  semihost(SYS_WRITE, args);
}

__attribute__((noreturn)) static void host_exit(int code) {
  /* AArch32 SYS_EXIT takes the reason alone: QEMU exits 0 for ApplicationExit, 1 otherwise */
  semihost(SYS_EXIT, (const void*)(uintptr_t)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR));
  for (;;) {
  }
}

static void host_puts(const char* s) {
  uint32_t n = 0;
  while (s[n]) ++n;
  host_write(s, n);
}

/* ---- syscalls ---- */
/* frame: the exception frame the SVC stacked on the process stack (r0-r3, r12, lr, pc, xpsr) */
__attribute__((used)) static void svc_dispatch(uint32_t* frame, uint32_t call) {
  switch (call) {
    case BH_SYS_EXIT:
      host_exit((int)frame[0]);
    case BH_SYS_WRITE:
      host_write((const void*)(uintptr_t)frame[0], frame[1]);
      frame[0] = frame[1];
      break;
    default:
      frame[0] = (uint32_t)BH_ENOSYS;
      break;
  }
}

/* r7 (the call number) is not part of the stacked frame: pass it along. LR still holds EXC_RETURN, so
 * svc_dispatch's return is the exception return. */
__attribute__((naked)) static void svc_handler(void) {
  __asm__ volatile(
      "mrs r0, psp\n\t"
      "mov r1, r7\n\t"
      "b svc_dispatch");
}

static void fault_handler(void) {
  host_puts("bench kernel: fault, CFSR=");
  static const char hex[] = "0123456789abcdef";
  char text[20];
  uint32_t values[2] = {REG(SCB_CFSR), REG(SCB_MMFAR)};
  for (int v = 0; v < 2; ++v) {
    for (int i = 0; i < 8; ++i) text[i] = hex[(values[v] >> (28 - 4 * i)) & 15u];
    text[8] = v == 0 ? ' ' : '\n';
    host_write(text, 9);
    if (v == 0) host_puts("MMFAR=");
  }
  host_exit(1);
}

/* ---- MPU (ARMv7-M B3.5) ---- */
static uint32_t log2_size(uint32_t size) {
  uint32_t n = 0;
  while ((1u << n) < size) ++n;
  return n;
}

static void program_mpu(void) {
  struct bench_rule rules[BENCH_MAX_RULES];
  int n = bench_layout(rules, BENCH_WORST, (uint32_t)(uintptr_t)__flash, (uint32_t)(uintptr_t)__ram, 0x40000000u);
  REG(MPU_CTRL) = 0;
  for (int i = 0; i < BENCH_MAX_RULES; ++i) {
    REG(MPU_RNR) = (uint32_t)i;
    if (i >= n) {
      REG(MPU_RASR) = 0;
      continue;
    }
    /* AP (Table B3-15): 001 privileged only, 010 unprivileged read-only, 011 full, 110 read-only for both */
    static const uint32_t ap[] = {[BENCH_NONE] = 1, [BENCH_RO] = 2, [BENCH_RW] = 3, [BENCH_RX] = 6};
    uint32_t xn = rules[i].access == BENCH_RX ? 0u : 1u;
    REG(MPU_RBAR) = rules[i].base;
    REG(MPU_RASR) = (xn << 28) | (ap[rules[i].access] << 24) | ((log2_size(rules[i].size) - 1u) << 1) | 1u;
  }
  REG(MPU_CTRL) = 1u | 4u; /* ENABLE, PRIVDEFENA */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
}

__attribute__((noreturn)) void bench_reset(void) {
  REG(SCB_SHCSR) |= (1u << 16) | (1u << 17) | (1u << 18);
  program_mpu();
  /* Thread mode, unprivileged, on the process stack (CONTROL.nPRIV=1, SPSEL=1), then the module's start-up */
  __asm__ volatile(
      "msr psp, %0\n\t"
      "movs r0, #3\n\t"
      "msr control, r0\n\t"
      "isb\n\t"
      "bx %1" ::"r"(__stack_top),
      "r"(_start)
      : "r0", "memory");
  __builtin_unreachable();
}

typedef void (*vector)(void);
__attribute__((used, section(".vectors"))) static const vector vectors[16] = {
    (vector)(uintptr_t)__kernel_stack_top, /* initial MSP */
    (vector)bench_reset,
    fault_handler, /* NMI */
    fault_handler, /* HardFault */
    fault_handler, /* MemManage */
    fault_handler, /* BusFault */
    fault_handler, /* UsageFault */
    0, 0, 0, 0,
    svc_handler, /* SVCall */
    0, 0,
    fault_handler, /* PendSV */
    fault_handler, /* SysTick */
};
