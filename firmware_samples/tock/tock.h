/* Minimal TRD104 userland runtime for Bulkhead's Tock samples (docs/tock.md). Not libtock-c: written for
 * fixed-address apps (no PIC) and only what the samples use.
 *
 * Calling convention (TRD104 "System Call ABI"): Arm: `svc #class`, arguments and results in r0-r3;
 * RISC-V: `ecall` with the class in a4, arguments and results in a0-a3. r0/a0 returns the variant. */
#ifndef TOCK_H
#define TOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* System call classes (TRD104 section 3). */
#define TOCK_CLASS_YIELD 0u
#define TOCK_CLASS_SUBSCRIBE 1u
#define TOCK_CLASS_COMMAND 2u
#define TOCK_CLASS_ALLOW_RW 3u
#define TOCK_CLASS_ALLOW_RO 4u
#define TOCK_CLASS_MEMOP 5u
#define TOCK_CLASS_EXIT 6u

/* Return variants in r0/a0 (TRD104 section 3.2). */
#define TOCK_FAILURE 0u
#define TOCK_FAILURE_U32 1u
#define TOCK_FAILURE_2U32 2u
#define TOCK_FAILURE_U64 3u
#define TOCK_SUCCESS 128u
#define TOCK_SUCCESS_U32 129u
#define TOCK_SUCCESS_2U32 130u
#define TOCK_SUCCESS_U64 131u
#define TOCK_SUCCESS_3U32 132u
#define TOCK_SUCCESS_U32_U64 133u

/* Error codes (TRD104 section 3.3, ErrorCode). */
#define TOCK_EFAIL 1u
#define TOCK_EBUSY 2u
#define TOCK_EALREADY 3u
#define TOCK_EOFF 4u
#define TOCK_ERESERVE 5u
#define TOCK_EINVAL 6u
#define TOCK_ESIZE 7u
#define TOCK_ECANCEL 8u
#define TOCK_ENOMEM 9u
#define TOCK_ENOSUPPORT 10u
#define TOCK_ENODEVICE 11u
#define TOCK_EUNINSTALLED 12u
#define TOCK_ENOACK 13u

/* Yield types (TRD104 4.1), exit types (4.7), memop operations (4.6). */
#define TOCK_YIELD_NO_WAIT 0u
#define TOCK_YIELD_WAIT 1u
#define TOCK_YIELD_WAIT_FOR 2u
#define TOCK_EXIT_TERMINATE 0u
#define TOCK_EXIT_RESTART 1u
#define TOCK_MEMOP_BRK 0u
#define TOCK_MEMOP_SBRK 1u
#define TOCK_MEMOP_MEMORY_START 2u
#define TOCK_MEMOP_MEMORY_END 3u
#define TOCK_MEMOP_FLASH_START 4u
#define TOCK_MEMOP_FLASH_END 5u
#define TOCK_MEMOP_GRANT_START 6u
#define TOCK_MEMOP_WFR_COUNT 7u
#define TOCK_MEMOP_STACK_TOP_HINT 10u
#define TOCK_MEMOP_HEAP_START_HINT 11u

/* Drivers (Tock capsules/core/src/driver.rs numbers) and their command/subscribe/allow numbers. */
#define TOCK_DRIVER_ALARM 0x0u
#define TOCK_ALARM_CMD_EXISTS 0u
#define TOCK_ALARM_CMD_FREQUENCY 1u
#define TOCK_ALARM_CMD_NOW 2u
#define TOCK_ALARM_CMD_STOP 3u
#define TOCK_ALARM_CMD_RELATIVE 5u
#define TOCK_ALARM_CMD_ABSOLUTE 6u
#define TOCK_ALARM_SUB_FIRED 0u

#define TOCK_DRIVER_CONSOLE 0x1u
#define TOCK_CONSOLE_CMD_EXISTS 0u
#define TOCK_CONSOLE_CMD_WRITE 1u
#define TOCK_CONSOLE_CMD_READ 2u
#define TOCK_CONSOLE_CMD_ABORT_READ 3u
#define TOCK_CONSOLE_SUB_WRITE_DONE 1u
#define TOCK_CONSOLE_SUB_READ_DONE 2u
#define TOCK_CONSOLE_ALLOW_RO_WRITE 1u
#define TOCK_CONSOLE_ALLOW_RW_READ 1u

#define TOCK_DRIVER_LOW_LEVEL_DEBUG 0x8u
#define TOCK_LLD_CMD_ALERT 1u
#define TOCK_LLD_CMD_PRINT1 2u
#define TOCK_LLD_CMD_PRINT2 3u

/* What every call returns: the variant and the three value registers. */
typedef struct {
  uint32_t variant;
  uint32_t r1, r2, r3;
} tock_ret_t;

typedef void (*tock_upcall_t)(uint32_t arg0, uint32_t arg1, uint32_t arg2, void* userdata);

/* The raw calls for classes 1-6. Only r0-r3/a0-a3 change (no upcall can run inside these classes). */
#if defined(__arm__)
#define TOCK_DEFINE_CALL(name, cls)                                                                   \
  static inline tock_ret_t name(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {                 \
    register uint32_t r0 __asm__("r0") = a0;                                                          \
    register uint32_t r1 __asm__("r1") = a1;                                                          \
    register uint32_t r2 __asm__("r2") = a2;                                                          \
    register uint32_t r3 __asm__("r3") = a3;                                                          \
    __asm__ volatile("svc %c[c]" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3) : [c] "i"(cls) : "memory"); \
    return (tock_ret_t){r0, r1, r2, r3};                                                              \
  }
#elif defined(__riscv)
#define TOCK_DEFINE_CALL(name, cls)                                                          \
  static inline tock_ret_t name(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {        \
    register uint32_t r0 __asm__("a0") = a0;                                                 \
    register uint32_t r1 __asm__("a1") = a1;                                                 \
    register uint32_t r2 __asm__("a2") = a2;                                                 \
    register uint32_t r3 __asm__("a3") = a3;                                                 \
    register uint32_t r4 __asm__("a4") = cls;                                                \
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3) : "r"(r4) : "memory"); \
    return (tock_ret_t){r0, r1, r2, r3};                                                     \
  }
#else
#error "Tock samples are built for Arm M-profile or RV32"
#endif

TOCK_DEFINE_CALL(tock_subscribe_raw, 1)
TOCK_DEFINE_CALL(tock_command_raw, 2)
TOCK_DEFINE_CALL(tock_allow_rw_raw, 3)
TOCK_DEFINE_CALL(tock_allow_ro_raw, 4)
TOCK_DEFINE_CALL(tock_memop_raw, 5)
TOCK_DEFINE_CALL(tock_exit_raw, 6)

/* Class 0 (yield): an upcall may run inside it, so every caller-saved register is clobbered (Arm: r0-r3, r12,
 * lr; RISC-V: ra, t0-t6, a0-a7). Returns r0-r2 as left by the kernel (yield-wait-for: the upcall's args). */
tock_ret_t tock_yield_raw(uint32_t type, uint32_t a1, uint32_t a2);

/* Class 0. */
void tock_yield_wait(void);
bool tock_yield_no_wait(void); /* true when an upcall ran */
/* Blocks until driver/subscribe's upcall is scheduled and returns its three arguments without calling it. */
tock_ret_t tock_yield_wait_for(uint32_t driver, uint32_t subscribe);

/* Class 1: returns the variant; on success the previous upcall and userdata are in r1, r2. */
tock_ret_t tock_subscribe(uint32_t driver, uint32_t num, tock_upcall_t fn, void* userdata);
/* Class 2. */
tock_ret_t tock_command(uint32_t driver, uint32_t cmd, uint32_t arg1, uint32_t arg2);
/* Classes 3 and 4. */
tock_ret_t tock_allow_rw(uint32_t driver, uint32_t num, void* buf, size_t len);
tock_ret_t tock_allow_ro(uint32_t driver, uint32_t num, const void* buf, size_t len);
/* Class 5. */
tock_ret_t tock_memop(uint32_t op, uint32_t arg);
/* Class 6. */
__attribute__((noreturn)) void tock_exit(uint32_t code);
__attribute__((noreturn)) void tock_restart(uint32_t code);

/* Console (driver 0x1): write via allow-ro + subscribe + command + yield-wait; returns bytes written or -1.
 */
int tock_console_write(const void* buf, size_t len);
int tock_puts(const char* s); /* no newline added */
void tock_put_hex(uint32_t v);
void tock_put_dec(uint32_t v);
/* "label 0x12345678\n" */
void tock_put_labeled(const char* label, uint32_t v);

/* Alarm (driver 0x0): value of a Success-with-u32 command, or 0 with *ok = false. */
uint32_t tock_alarm_frequency(void);
uint32_t tock_alarm_now(void);

/* The entry arguments as the kernel passed them (crt0). */
extern uint32_t tock_entry_app_start, tock_entry_mem_start, tock_entry_mem_len, tock_entry_app_brk;

/* Faulting helpers for the boundary samples: a volatile access that the compiler cannot drop. */
static inline uint8_t tock_read8(uintptr_t addr) {
  return *(volatile const uint8_t*)addr;
}
static inline void tock_write8(uintptr_t addr, uint8_t v) {
  *(volatile uint8_t*)addr = v;
}

void* memset(void* dst, int c, size_t n);
void* memcpy(void* dst, const void* src, size_t n);
size_t strlen(const char* s);

#endif
