/* IPC client: asks `consumer` to add pairs of numbers over synchronous send/reply, then notifies it. */
#include <string.h>

#include "system.h"

struct request {
  int32_t a, b;
};

int main(void) {
  const int32_t consumer = bh_lookup("consumer");
  if (consumer < 0) {
    printf("producer: no consumer (%ld)\n", (long)consumer);
    return 1;
  }
  printf("producer: I am %ld, consumer is %ld\n", (long)bh_id(), (long)consumer);
  for (int32_t i = 1; i <= 5; ++i) {
    struct request rq = {i, i * i};
    int32_t sum = 0;
    const int32_t n = bh_send(consumer, &rq, sizeof rq, &sum, sizeof sum, BH_FOREVER);
    if (n != (int32_t)sizeof sum) {
      printf("producer: send failed (%ld)\n", (long)n);
      return 2;
    }
    printf("producer: %ld + %ld = %ld\n", (long)rq.a, (long)rq.b, (long)sum);
  }
  const uint32_t before = bh_time();
  bh_sleep(3);
  const uint32_t slept = bh_time() - before;
  printf("producer: slept %s\n", slept >= 3 ? "at least 3 ticks" : "too little");
  bh_notify(consumer, 1u);
  return 0;
}
