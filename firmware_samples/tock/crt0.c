/* Tock app start-up for fixed-address (non-PIC) apps. The kernel enters _start with (docs/tock.md):
 *   r0/a0 = app start (flash), r1/a1 = mem_start, r2/a2 = memory length, r3/a3 = app break;
 *   Arm: SP = app break; RISC-V: sp = mem_start. Neither is a usable stack for us.
 * The app is linked for one RAM address (_sram_origin, also in the TBF's FixedAddresses TLV), so _start
 *   1. exits with code 0xF1 when mem_start is not _sram_origin (the kernel ignored FixedAddresses);
 *   2. grows the break with memop brk to _app_ram_end (stack + .data + .bss) when the kernel gave less,
 *      exiting with 0xF2 if that is refused -- all before touching RAM;
 *   3. sets the stack at the bottom of RAM (it grows down towards mem_start, so an overflow faults at the
 *      RAM start instead of corrupting data), then C code copies .data from flash and zeroes .bss.
 * No relocation: the .rel data elf2tab appends is empty for these apps. */
#include "tock.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
int main(void);

uint32_t tock_entry_app_start, tock_entry_mem_start, tock_entry_mem_len, tock_entry_app_brk;
/* Checked after the copy: proves .data came from flash. */
static volatile uint32_t tock_data_canary = 0x7ed0c0deu;

__attribute__((noreturn, used)) void tock_cstart(uint32_t app_start, uint32_t mem_start, uint32_t mem_len,
                                                 uint32_t app_brk) {
  const uint32_t* src = __data_load;
  for (uint32_t* dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  if (tock_data_canary != 0x7ed0c0deu) tock_exit(0xF3);
  tock_entry_app_start = app_start;
  tock_entry_mem_start = mem_start;
  tock_entry_mem_len = mem_len;
  tock_entry_app_brk = app_brk;
  tock_exit((uint32_t)main());
}

__attribute__((naked, noreturn, section(".text.start"))) void _start(void) {
#if defined(__arm__)
  __asm__ volatile(
      "ldr r4, =_sram_origin\n\t"
      "cmp r1, r4\n\t"
      "bne 1f\n\t"
      "ldr r5, =_app_ram_end\n\t"
      "cmp r3, r5\n\t"
      "bhs 2f\n\t"
      "mov r6, r0\n\t"
      "mov r7, r1\n\t"
      "mov r8, r2\n\t"
      "movs r0, #0\n\t" /* memop brk(_app_ram_end) */
      "mov r1, r5\n\t"
      "svc 5\n\t"
      "cmp r0, #128\n\t" /* Success */
      "bne 3f\n\t"
      "mov r0, r6\n\t"
      "mov r1, r7\n\t"
      "mov r2, r8\n\t"
      "mov r3, r5\n\t"
      "2:\n\t"
      "ldr r4, =__stack_top\n\t"
      "mov sp, r4\n\t"
      "b tock_cstart\n\t"
      "1:\n\t"
      "movs r0, #0\n\t" /* exit-terminate 0xF1 */
      "movs r1, #0xF1\n\t"
      "svc 6\n\t"
      "3:\n\t"
      "movs r0, #0\n\t" /* exit-terminate 0xF2 */
      "movs r1, #0xF2\n\t"
      "svc 6\n\t"
      ".ltorg");
#else
  /* No linker relaxation anywhere in _start: gp is not set until label 2, and a relaxed `la` would become
   * gp-relative (e.g. `la t1, _app_ram_end` -> `addi t1, gp, -2024`) and read garbage. */
  __asm__ volatile(
      ".option push\n\t"
      ".option norelax\n\t"
      "la t0, _sram_origin\n\t"
      "bne a1, t0, 1f\n\t"
      "la t1, _app_ram_end\n\t"
      "bgeu a3, t1, 2f\n\t"
      "mv s0, a0\n\t"
      "mv s1, a1\n\t"
      "mv s2, a2\n\t"
      "li a0, 0\n\t" /* memop brk(_app_ram_end) */
      "mv a1, t1\n\t"
      "li a4, 5\n\t"
      "ecall\n\t"
      "li t2, 128\n\t" /* Success */
      "bne a0, t2, 3f\n\t"
      "mv a0, s0\n\t"
      "mv a1, s1\n\t"
      "mv a2, s2\n\t"
      "la a3, _app_ram_end\n\t"
      "2:\n\t"
      "la gp, __global_pointer$\n\t"
      "la sp, __stack_top\n\t"
      "j tock_cstart\n\t"
      "1:\n\t"
      "li a0, 0\n\t" /* exit-terminate 0xF1 */
      "li a1, 0xF1\n\t"
      "li a4, 6\n\t"
      "ecall\n\t"
      "3:\n\t"
      "li a0, 0\n\t" /* exit-terminate 0xF2 */
      "li a1, 0xF2\n\t"
      "li a4, 6\n\t"
      "ecall\n\t"
      ".option pop");
#endif
}
