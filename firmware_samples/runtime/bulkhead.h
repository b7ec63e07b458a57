/* Bulkhead module runtime: the syscall wrappers a module uses to talk to the kernel shim (docs/abi.md). */
#ifndef BULKHEAD_H
#define BULKHEAD_H

#include <stddef.h>
#include <stdint.h>

/* Call numbers (Arm: r7, RISC-V: a7). */
#define BH_SYS_EXIT 0u
#define BH_SYS_WRITE 1u

/* Error returns (negative). */
#define BH_ENOSYS (-1) /* unknown call number */
#define BH_EFAULT (-2) /* a pointer argument the caller may not access */
#define BH_EINVAL (-3) /* an argument out of range */

#if defined(__arm__)
/* svc #0 with the call number in r7 (as Linux EABI does); r7 is saved around the call so that it works at any
 * optimisation level, also where r7 is the Thumb frame pointer. Arguments r0-r3, result r0. */
static inline int32_t bh_syscall(uint32_t n, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  register uint32_t r0 __asm__("r0") = a0;
  register uint32_t r1 __asm__("r1") = a1;
  register uint32_t r2 __asm__("r2") = a2;
  register uint32_t r3 __asm__("r3") = a3;
  __asm__ volatile("mov r12, r7\n\tmov r7, %[n]\n\tsvc #0\n\tmov r7, r12"
                   : "+r"(r0)
                   : [n] "r"(n), "r"(r1), "r"(r2), "r"(r3)
                   : "r12", "memory");
  return (int32_t)r0;
}
#elif defined(__riscv)
/* ecall with the call number in a7. Arguments a0-a3, result a0. */
static inline int32_t bh_syscall(uint32_t n, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  register uint32_t r_a0 __asm__("a0") = a0;
  register uint32_t r_a1 __asm__("a1") = a1;
  register uint32_t r_a2 __asm__("a2") = a2;
  register uint32_t r_a3 __asm__("a3") = a3;
  register uint32_t r_a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a7) : "memory");
  return (int32_t)r_a0;
}
#else
#error "Bulkhead modules are built for Arm M-profile or RV32"
#endif

/* Writes len bytes of buf to the module's console. Returns len, or a negative error. */
static inline int32_t bh_write(const void* buf, size_t len) {
  return bh_syscall(BH_SYS_WRITE, (uint32_t)(uintptr_t)buf, (uint32_t)len, 0, 0);
}

/* Ends the module with an exit code. Does not return. */
__attribute__((noreturn)) void bh_exit(int code);

/* Writes a NUL-terminated string (no newline added). */
int32_t bh_puts(const char* s);

#endif
