/* The runtime's C side: yield, the class wrappers, console and alarm helpers, and the few libc functions
 * GCC may call on its own in a freestanding build. */
#include "tock.h"

tock_ret_t tock_yield_raw(uint32_t type, uint32_t a1, uint32_t a2) {
#if defined(__arm__)
  register uint32_t r0 __asm__("r0") = type;
  register uint32_t r1 __asm__("r1") = a1;
  register uint32_t r2 __asm__("r2") = a2;
  register uint32_t r3 __asm__("r3");
  __asm__ volatile("svc 0" : "+r"(r0), "+r"(r1), "+r"(r2), "=r"(r3) : : "memory", "r12", "lr");
#else
  register uint32_t r0 __asm__("a0") = type;
  register uint32_t r1 __asm__("a1") = a1;
  register uint32_t r2 __asm__("a2") = a2;
  register uint32_t r3 __asm__("a3");
  register uint32_t r4 __asm__("a4") = 0;
  __asm__ volatile("ecall"
                   : "+r"(r0), "+r"(r1), "+r"(r2), "=r"(r3), "+r"(r4)
                   :
                   : "memory", "a5", "a6", "a7", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "ra");
#endif
  return (tock_ret_t){r0, r1, r2, r3};
}

void tock_yield_wait(void) {
  (void)tock_yield_raw(TOCK_YIELD_WAIT, 0, 0);
}

bool tock_yield_no_wait(void) {
  /* TRD104 4.1: r1 is the address of a byte the kernel sets to 1 if an upcall ran, else 0. */
  volatile uint8_t ran = 0xAA;
  (void)tock_yield_raw(TOCK_YIELD_NO_WAIT, (uint32_t)(uintptr_t)&ran, 0);
  return ran == 1;
}

tock_ret_t tock_yield_wait_for(uint32_t driver, uint32_t subscribe) {
  return tock_yield_raw(TOCK_YIELD_WAIT_FOR, driver, subscribe);
}

tock_ret_t tock_subscribe(uint32_t driver, uint32_t num, tock_upcall_t fn, void* userdata) {
  return tock_subscribe_raw(driver, num, (uint32_t)(uintptr_t)fn, (uint32_t)(uintptr_t)userdata);
}
tock_ret_t tock_command(uint32_t driver, uint32_t cmd, uint32_t arg1, uint32_t arg2) {
  return tock_command_raw(driver, cmd, arg1, arg2);
}
tock_ret_t tock_allow_rw(uint32_t driver, uint32_t num, void* buf, size_t len) {
  return tock_allow_rw_raw(driver, num, (uint32_t)(uintptr_t)buf, (uint32_t)len);
}
tock_ret_t tock_allow_ro(uint32_t driver, uint32_t num, const void* buf, size_t len) {
  return tock_allow_ro_raw(driver, num, (uint32_t)(uintptr_t)buf, (uint32_t)len);
}
tock_ret_t tock_memop(uint32_t op, uint32_t arg) {
  return tock_memop_raw(op, arg, 0, 0);
}
void tock_exit(uint32_t code) {
  (void)tock_exit_raw(TOCK_EXIT_TERMINATE, code, 0, 0);
  for (;;) {
  }
}
void tock_restart(uint32_t code) {
  (void)tock_exit_raw(TOCK_EXIT_RESTART, code, 0, 0);
  for (;;) {
  }
}

static void write_done(uint32_t written, uint32_t unused1, uint32_t unused2, void* userdata) {
  (void)unused1;
  (void)unused2;
  *(volatile int*)userdata = (int)written + 1; /* > 0: done */
}

int tock_console_write(const void* buf, size_t len) {
  volatile int done = 0;
  if (tock_allow_ro(TOCK_DRIVER_CONSOLE, TOCK_CONSOLE_ALLOW_RO_WRITE, buf, len).variant != TOCK_SUCCESS_2U32)
    return -1;
  if (tock_subscribe(TOCK_DRIVER_CONSOLE, TOCK_CONSOLE_SUB_WRITE_DONE, write_done, (void*)&done).variant !=
      TOCK_SUCCESS_2U32)
    return -1;
  if (tock_command(TOCK_DRIVER_CONSOLE, TOCK_CONSOLE_CMD_WRITE, (uint32_t)len, 0).variant != TOCK_SUCCESS)
    return -1;
  while (done == 0) tock_yield_wait();
  /* Take the buffer and the upcall back (TRD104: a NULL allow/subscribe revokes the previous one). */
  (void)tock_allow_ro(TOCK_DRIVER_CONSOLE, TOCK_CONSOLE_ALLOW_RO_WRITE, NULL, 0);
  (void)tock_subscribe(TOCK_DRIVER_CONSOLE, TOCK_CONSOLE_SUB_WRITE_DONE, NULL, NULL);
  return done - 1;
}

int tock_puts(const char* s) {
  return tock_console_write(s, strlen(s));
}

void tock_put_hex(uint32_t v) {
  char buf[10] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xF];
  (void)tock_console_write(buf, sizeof buf);
}

void tock_put_dec(uint32_t v) {
  char buf[10];
  int n = 0;
  do {
    buf[sizeof buf - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  (void)tock_console_write(buf + sizeof buf - n, (size_t)n);
}

void tock_put_labeled(const char* label, uint32_t v) {
  tock_puts(label);
  tock_puts(" ");
  tock_put_hex(v);
  tock_puts("\n");
}

uint32_t tock_alarm_frequency(void) {
  const tock_ret_t r = tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_FREQUENCY, 0, 0);
  return r.variant == TOCK_SUCCESS_U32 ? r.r1 : 0;
}

uint32_t tock_alarm_now(void) {
  const tock_ret_t r = tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_NOW, 0, 0);
  return r.variant == TOCK_SUCCESS_U32 ? r.r1 : 0;
}

void* memset(void* dst, int c, size_t n) {
  uint8_t* d = dst;
  while (n--) *d++ = (uint8_t)c;
  return dst;
}

void* memcpy(void* dst, const void* src, size_t n) {
  uint8_t* d = dst;
  const uint8_t* s = src;
  while (n--) *d++ = *s++;
  return dst;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
