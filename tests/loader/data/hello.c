// A tiny freestanding program for the loader tests: code, initialised data (.data) and zero-fill (.bss).
// The tests find line numbers by searching this file for the marker comments, so edit freely.
int counter = 0x1234567;
int buffer[64];

int add_numbers(int a, int b) {  // LINE:add_numbers
  int sum = a + b;
  counter += sum;
  return sum;
}

void _start(void) {
  buffer[1] = add_numbers(1, 2);
  for (;;) {
  }
}
