/* IPC server: receives pairs from any partition and replies with their sum; echoes its console input; ends on
 * the notification its client posts when it is done. */
#include "system.h"

struct request {
  int32_t a, b;
};

int main(void) {
  char line[32];
  int32_t got = bh_read(line, sizeof line - 1);
  if (got > 0) {
    line[got] = 0;
    printf("consumer: input: %s", line);
  }
  int served = 0;
  for (;;) {
    struct request rq;
    int32_t from = -1;
    const int32_t n = bh_receive(&rq, sizeof rq, &from, 50);
    if (n == BH_ETIMEDOUT) break; /* nobody has called for 50 ticks */
    if (n != (int32_t)sizeof rq) {
      printf("consumer: bad message (%ld)\n", (long)n);
      return 1;
    }
    const int32_t sum = rq.a + rq.b;
    bh_reply(from, &sum, sizeof sum);
    ++served;
  }
  printf("consumer: served %d requests\n", served);
  const int32_t bits = bh_wait(1u, BH_FOREVER);
  printf("consumer: notified (bits %ld)\n", (long)bits);
  return 0;
}
