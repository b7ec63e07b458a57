/* Runs under the audit policy: touches memory outside its layout, which the kernel records and lets through.
 */
#include "system.h"

int main(void) {
  printf("snoop: looking around\n");
  const uint32_t v = *(volatile uint32_t*)SLOT_RAM(SLOT_VICTIM);
  volatile uint32_t* spare = (volatile uint32_t*)(SLOT_RAM(13) + 0x2000u); /* RAM nobody claims */
  spare[0] = 0xC0FFEEu;
  spare[1] = spare[0] + 1u;
  printf("snoop: read %s, wrote %08lx\n", v != 0 ? "something" : "zero", (unsigned long)spare[1]);
  return 0;
}
