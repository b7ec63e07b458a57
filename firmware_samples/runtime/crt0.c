/* Module start-up: stack, global pointer and TLS, then main(), then exit with its return value.
 * The kernel shim loads every PT_LOAD segment itself (.data in place, .bss zero-filled), so nothing is
 * copied here. */
#include <stdio.h>

#include "bulkhead.h"

extern char __tls_base[];
int main(void);
void _set_tls(void* tls); /* picolibc: sets the thread pointer for errno and other TLS */

__attribute__((noreturn, used)) void bh_cstart(void) {
  _set_tls(__tls_base);
  int code = main();
  bh_exit(code);
}

__attribute__((naked, noreturn, section(".text.start"))) void _start(void) {
#if defined(__arm__)
  __asm__ volatile(
      "ldr r0, =__stack_top\n\t"
      "mov sp, r0\n\t"
      "b bh_cstart\n\t"
      ".ltorg");
#else
  __asm__ volatile(
      ".option push\n\t"
      ".option norelax\n\t"
      "la gp, __global_pointer$\n\t"
      ".option pop\n\t"
      "la sp, __stack_top\n\t"
      "j bh_cstart");
#endif
}

void bh_exit(int code) {
  fflush(stdout);
  bh_syscall(BH_SYS_EXIT, (uint32_t)code, 0, 0, 0);
  for (;;) {
  }
}
