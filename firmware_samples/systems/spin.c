/* Misbehaves: never yields. The time slice preempts it; the whole run's instruction budget ends it. */
#include "system.h"

int main(void) {
  printf("spin: spinning\n");
  for (volatile uint32_t i = 0;; ++i) {
  }
}
