/* Executes an undefined instruction (Arm UDF, RISC-V EBREAK via __builtin_trap): the runner reports it. */
#include "bulkhead.h"

int main(void) {
  bh_puts("about to trap\n");
  __builtin_trap();
}
