/* Bulkhead module runtime: the syscall wrappers a module uses to talk to the kernel shim (docs/abi.md). */
#ifndef BULKHEAD_H
#define BULKHEAD_H

#include <stddef.h>
#include <stdint.h>

/* Call numbers (Arm: r7, RISC-V: a7). */
#define BH_SYS_EXIT 0u
#define BH_SYS_WRITE 1u
#define BH_SYS_YIELD 2u
#define BH_SYS_SLEEP 3u
#define BH_SYS_TIME 4u
#define BH_SYS_ID 5u
#define BH_SYS_LOOKUP 6u
#define BH_SYS_SEND 7u
#define BH_SYS_RECEIVE 8u
#define BH_SYS_REPLY 9u
#define BH_SYS_NOTIFY 10u
#define BH_SYS_WAIT 11u
#define BH_SYS_READ 12u
#define BH_SYS_REGION 13u
#define BH_SYS_STATUS 14u

/* Error returns (negative). */
#define BH_ENOSYS (-1)    /* unknown call number */
#define BH_EFAULT (-2)    /* a pointer argument the caller may not access */
#define BH_EINVAL (-3)    /* an argument out of range */
#define BH_ENOENT (-4)    /* no such partition or region */
#define BH_ETIMEDOUT (-5) /* the timeout passed, or a poll found nothing */
#define BH_EPEERDEAD (-6) /* the other side exited, faulted or restarted */
#define BH_ESRCH (-7)     /* reply: that partition is not waiting for our reply */

#define BH_MAX_MESSAGE 256u       /* longest IPC message or reply */
#define BH_FOREVER 0xFFFFFFFFu    /* timeout: never */
#define BH_NOTE_FAULT 0x80000000u /* notification a supervisor gets when a partition it watches faults */

/* A call's two results: r0/a0 and r1/a1. */
typedef struct {
  int32_t r0;
  uint32_t r1;
} bh_result;

#if defined(__arm__)
/* svc #0 with the call number in r7 (as Linux EABI does); r7 is saved around the call so that it works at any
 * optimisation level, also where r7 is the Thumb frame pointer. Arguments r0-r5, results r0 and r1. */
static inline bh_result bh_syscall6(uint32_t n, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                    uint32_t a4, uint32_t a5) {
  register uint32_t r0 __asm__("r0") = a0;
  register uint32_t r1 __asm__("r1") = a1;
  register uint32_t r2 __asm__("r2") = a2;
  register uint32_t r3 __asm__("r3") = a3;
  register uint32_t r4 __asm__("r4") = a4;
  register uint32_t r5 __asm__("r5") = a5;
  __asm__ volatile("mov r12, r7\n\tmov r7, %[n]\n\tsvc #0\n\tmov r7, r12"
                   : "+r"(r0), "+r"(r1)
                   : [n] "r"(n), "r"(r2), "r"(r3), "r"(r4), "r"(r5)
                   : "r12", "memory");
  bh_result res = {(int32_t)r0, r1};
  return res;
}
#elif defined(__riscv)
/* ecall with the call number in a7. Arguments a0-a5, results a0 and a1. */
static inline bh_result bh_syscall6(uint32_t n, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                    uint32_t a4, uint32_t a5) {
  register uint32_t r_a0 __asm__("a0") = a0;
  register uint32_t r_a1 __asm__("a1") = a1;
  register uint32_t r_a2 __asm__("a2") = a2;
  register uint32_t r_a3 __asm__("a3") = a3;
  register uint32_t r_a4 __asm__("a4") = a4;
  register uint32_t r_a5 __asm__("a5") = a5;
  register uint32_t r_a7 __asm__("a7") = n;
  __asm__ volatile("ecall"
                   : "+r"(r_a0), "+r"(r_a1)
                   : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a7)
                   : "memory");
  bh_result res = {(int32_t)r_a0, r_a1};
  return res;
}
#else
#error "Bulkhead modules are built for Arm M-profile or RV32"
#endif

static inline int32_t bh_syscall(uint32_t n, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  return bh_syscall6(n, a0, a1, a2, a3, 0, 0).r0;
}

/* Writes len bytes of buf to the module's console. Returns len, or a negative error. */
static inline int32_t bh_write(const void* buf, size_t len) {
  return bh_syscall(BH_SYS_WRITE, (uint32_t)(uintptr_t)buf, (uint32_t)len, 0, 0);
}

/* Ends the module with an exit code. Does not return. */
__attribute__((noreturn)) void bh_exit(int code);

/* Writes a NUL-terminated string (no newline added). */
int32_t bh_puts(const char* s);

/* Gives the rest of the time slice to the next ready partition. */
static inline void bh_yield(void) {
  bh_syscall(BH_SYS_YIELD, 0, 0, 0, 0);
}

/* Blocks for at least `ticks` ticks (a tick is a fixed number of guest instructions of system time). */
static inline void bh_sleep(uint32_t ticks) {
  bh_syscall(BH_SYS_SLEEP, ticks, 0, 0, 0);
}

/* Ticks since the system started. */
static inline uint32_t bh_time(void) {
  return (uint32_t)bh_syscall(BH_SYS_TIME, 0, 0, 0, 0);
}

/* The caller's partition id (partitions with a module, in layout order, from 0). */
static inline int32_t bh_id(void) {
  return bh_syscall(BH_SYS_ID, 0, 0, 0, 0);
}

/* The id of the partition called `name`, or BH_ENOENT. */
int32_t bh_lookup(const char* name);

/* Sends msg[0..len) to partition `dest` and blocks until it replies (or `timeout` ticks pass: BH_ETIMEDOUT;
 * 0 = only if `dest` is already receiving). The reply lands in reply[0..cap). Returns the reply's length. */
static inline int32_t bh_send(int32_t dest, const void* msg, uint32_t len, void* reply, uint32_t cap,
                              uint32_t timeout) {
  return bh_syscall6(BH_SYS_SEND, (uint32_t)dest, (uint32_t)(uintptr_t)msg, len, (uint32_t)(uintptr_t)reply,
                     cap, timeout)
      .r0;
}

/* Blocks until a message arrives (or `timeout` ticks pass). Copies up to `cap` bytes into buf and returns the
 * message's full length; *sender gets the sender's id (pass it to bh_reply). */
static inline int32_t bh_receive(void* buf, uint32_t cap, int32_t* sender, uint32_t timeout) {
  bh_result r = bh_syscall6(BH_SYS_RECEIVE, (uint32_t)(uintptr_t)buf, cap, timeout, 0, 0, 0);
  if (sender) *sender = (int32_t)r.r1;
  return r.r0;
}

/* Answers the message `sender` sent; it wakes with msg[0..len) in its reply buffer. */
static inline int32_t bh_reply(int32_t sender, const void* msg, uint32_t len) {
  return bh_syscall(BH_SYS_REPLY, (uint32_t)sender, (uint32_t)(uintptr_t)msg, len, 0);
}

/* Sets notification bits at partition `dest` (never blocks). */
static inline int32_t bh_notify(int32_t dest, uint32_t bits) {
  return bh_syscall(BH_SYS_NOTIFY, (uint32_t)dest, bits, 0, 0);
}

/* Blocks until a notification bit in `mask` is pending (or `timeout` ticks pass; 0 = poll). Returns the bits,
 * now cleared. */
static inline int32_t bh_wait(uint32_t mask, uint32_t timeout) {
  return bh_syscall(BH_SYS_WAIT, mask, timeout, 0, 0);
}

/* Copies up to cap bytes of console input into buf; returns how many (0: no more input). */
static inline int32_t bh_read(void* buf, uint32_t cap) {
  return bh_syscall(BH_SYS_READ, (uint32_t)(uintptr_t)buf, cap, 0, 0);
}

/* The base of the caller's region or share called `name` ("data", or "partition.region" for a share), or
 * NULL; *size gets its size. */
void* bh_region(const char* name, uint32_t* size);

/* State of partition `id`: 0 running, 1 exited (*detail: exit code), 2 faulted (*detail: fault address). */
static inline int32_t bh_status(int32_t id, uint32_t* detail) {
  bh_result r = bh_syscall6(BH_SYS_STATUS, (uint32_t)id, 0, 0, 0, 0, 0);
  if (detail) *detail = r.r1;
  return r.r0;
}

#endif
