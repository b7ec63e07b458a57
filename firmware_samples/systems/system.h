/* Shared by the sample systems (firmware_samples/systems/NAME.toml.in): where each module's slot is. Every
 * module of a sample system is linked OFFSET = slot * 64 KiB above its profile's flash and RAM
 * (CMakeLists.txt), and the layouts grant it that slot's code (64 KiB) and the first 8 KiB of its RAM slot
 * (data, bss and stack). */
#ifndef SYSTEM_H
#define SYSTEM_H

#include <stdint.h>
#include <stdio.h>

#include "bulkhead.h"

#if defined(__riscv)
#define FLASH_BASE 0x80000000u
#define RAM_BASE 0x80100000u
#else
#define FLASH_BASE 0x08000000u
#define RAM_BASE 0x20000000u
#endif
#define SLOT_FLASH(k) (FLASH_BASE + (uint32_t)(k)*0x10000u)
#define SLOT_RAM(k) (RAM_BASE + (uint32_t)(k)*0x10000u)
#define KERNEL_RAM SLOT_RAM(15) /* the kernel's reserved region in every sample layout */

/* Slots of the modules that other modules name. */
#define SLOT_VICTIM 4

#endif
