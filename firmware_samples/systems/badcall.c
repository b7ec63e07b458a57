/* Tries to make the kernel reach memory it may not reach itself: every call must fail cleanly, and it goes
 * on. */
#include "system.h"

static void expect(const char* what, int32_t got, int32_t want) {
  printf("badcall: %s -> %ld %s\n", what, (long)got, got == want ? "ok" : "WRONG");
}

int main(void) {
  const void* victim = (const void*)SLOT_RAM(SLOT_VICTIM);
  expect("write(victim's RAM)", bh_write(victim, 8), BH_EFAULT);
  uint32_t size = 0;
  char* data = bh_region("data", &size);
  expect("write(straddling the end of its data)", bh_write(data + size - 4, 8), BH_EFAULT);
  char msg[4] = "hi";
  expect("send(reply into victim's RAM)", bh_send(0, msg, 2, (void*)victim, 4, BH_FOREVER), BH_EFAULT);
  int32_t from;
  expect("receive(into its own code)", bh_receive((void*)(uintptr_t)&main, 8, &from, 0), BH_EFAULT);
  expect("read(into kernel RAM)", bh_read((void*)KERNEL_RAM, 4), BH_EFAULT);
  expect("unknown call 99", bh_syscall(99, 0, 0, 0, 0), BH_ENOSYS);
  expect("lookup(nobody)", bh_lookup("nobody"), BH_ENOENT);
  expect("send(to itself)", bh_send(bh_id(), msg, 2, msg, 4, 0), BH_EINVAL);
  return 0;
}
