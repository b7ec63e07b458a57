/* tock_alarm: alarm driver 0x0 -- frequency, now, relative and absolute alarms delivered as upcalls during
 * yield-wait, a yield-wait-for that returns the upcall's arguments instead of calling it, yield-no-wait with
 * nothing pending, stop, and a command to a driver that does not exist. Exit code: 0, or the failed step. */
#include "tock.h"

static volatile uint32_t fired;
static volatile uint32_t fired_now;

static void on_alarm(uint32_t now, uint32_t expiration, uint32_t unused, void* userdata) {
  (void)expiration;
  (void)unused;
  fired_now = now;
  fired += (uint32_t)(uintptr_t)userdata;
}

int main(void) {
  if (tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_EXISTS, 0, 0).variant != TOCK_SUCCESS) return 1;
  const uint32_t freq = tock_alarm_frequency();
  if (freq == 0) return 2;
  tock_put_labeled("alarm frequency", freq);
  const uint32_t dt = freq / 100 ? freq / 100 : 1; /* 10 ms */

  if (tock_subscribe(TOCK_DRIVER_ALARM, TOCK_ALARM_SUB_FIRED, on_alarm, (void*)1).variant != TOCK_SUCCESS_2U32)
    return 3;
  for (uint32_t i = 1; i <= 3; ++i) {
    const uint32_t start = tock_alarm_now();
    if (tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_RELATIVE, dt, 0).variant != TOCK_SUCCESS_U32) return 4;
    while (fired < i) tock_yield_wait();
    if (fired_now - start < dt) return 5; /* fired early */
    tock_puts("tick ");
    tock_put_dec(i);
    tock_puts("\n");
  }

  /* Absolute: reference now, dt later. */
  const uint32_t ref = tock_alarm_now();
  if (tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_ABSOLUTE, ref, dt).variant != TOCK_SUCCESS_U32) return 6;
  while (fired < 4) tock_yield_wait();
  tock_puts("absolute alarm fired\n");

  /* Nothing is pending now: yield-no-wait returns at once and reports that no upcall ran. */
  if (tock_yield_no_wait()) return 7;

  /* Wait-for: the alarm's upcall is not called; its arguments come back in r0-r2 / a0-a2. */
  if (tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_RELATIVE, dt, 0).variant != TOCK_SUCCESS_U32) return 8;
  const tock_ret_t w = tock_yield_wait_for(TOCK_DRIVER_ALARM, TOCK_ALARM_SUB_FIRED);
  if (fired != 4) return 9; /* the upcall must not have run */
  tock_put_labeled("wait-for alarm at", w.variant);

  /* Stop: a set alarm that is stopped never fires. */
  if (tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_RELATIVE, dt, 0).variant != TOCK_SUCCESS_U32) return 10;
  if (tock_command(TOCK_DRIVER_ALARM, TOCK_ALARM_CMD_STOP, 0, 0).variant != TOCK_SUCCESS) return 11;

  /* A driver that does not exist: Failure with NODEVICE. */
  const tock_ret_t nd = tock_command(0x7777u, 0, 0, 0);
  if (nd.variant != TOCK_FAILURE || nd.r1 != TOCK_ENODEVICE) return 12;

  (void)tock_subscribe(TOCK_DRIVER_ALARM, TOCK_ALARM_SUB_FIRED, NULL, NULL);
  tock_puts("alarm done\n");
  return 0;
}
