/* Misbehaves: reads another partition's RAM through a stray pointer (MemManage / load access fault). */
#include "system.h"

int main(void) {
  printf("stray: reading the victim's RAM\n");
  volatile uint32_t* p = (volatile uint32_t*)SLOT_RAM(SLOT_VICTIM);
  printf("stray: got %08lx (must not happen)\n", (unsigned long)*p);
  return 0;
}
