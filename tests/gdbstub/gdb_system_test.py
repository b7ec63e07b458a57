#!/usr/bin/env python3
"""A real GDB against `bulkhead run --gdb 0 halt-TARGET.toml` (firmware_samples/systems/): one thread per
partition. GDB lists both partitions as threads, breaks at `peek`'s main, steps, reads the other partition's
registers, continues to peek's read of system space (SIGSEGV in peek's thread, PC at the faulting load), and
continues again: peek's `halt` policy stops the system, which exits with 134. Every wait has a timeout; a
missing gdb-multiarch fails the test (scripts/setup installs it).
"""
import argparse
import os
import re
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulkhead", required=True)
    ap.add_argument("--gdb", default="")
    ap.add_argument("--systems", required=True)  # build/.../firmware_samples/systems
    ap.add_argument("--target", required=True)   # armv7m, armv8m, rv32
    args = ap.parse_args()
    if not args.gdb or not os.path.exists(args.gdb):
        print("FAIL: gdb-multiarch not found (scripts/setup installs it)")
        return 1
    suffix = {"armv7m": "cortex-m4", "armv8m": "cortex-m33", "rv32": "rv32imac"}[args.target]
    peek_elf = os.path.join(os.path.dirname(args.systems), f"peek-{suffix}.elf")
    err_path = f"/tmp/bulkhead-gdb-system-{os.getpid()}.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([args.bulkhead, "run", "--gdb", "0",
                                 os.path.join(args.systems, f"halt-{args.target}.toml")],
                                stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            m = re.search(r"waiting for GDB on 127\.0\.0\.1:(\d+)", open(err_path).read())
            if m:
                port = int(m.group(1))
            elif proc.poll() is not None:
                break
            else:
                time.sleep(0.1)
        if port is None:
            print(open(err_path).read())
            print("FAIL: bulkhead did not say which port it listens on")
            return 1
        commands = ["set confirm off", "set pagination off", f"file {peek_elf}",
                    f"target remote 127.0.0.1:{port}", "info threads", "break main", "continue",
                    "stepi", "thread 1", 'printf "VICTIM_PC=0x%08x\\n", $pc', "thread 2", "continue",
                    'printf "FAULT_PC=0x%08x\\n", $pc', "x/i $pc", "continue"]
        cmd = [args.gdb, "-batch", "-nx"]
        for c in commands:
            cmd += ["-ex", c]
        gdb = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        out = gdb.stdout + gdb.stderr
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = open(err_path).read()
    os.unlink(err_path)
    print(out)
    print(stderr)
    checks = [
        (r'Thread 1 \(victim\)', "both partitions are threads"),
        (r'Thread 2 \(peek\)', "both partitions are threads"),
        (r'Thread 2 hit Breakpoint 1, main \(\) at .*peek\.c', "the breakpoint hits in peek's thread"),
        (r'VICTIM_PC=0x[0-9a-f]{8}', "the other partition's registers are readable"),
        (r'Thread 2 received signal SIGSEGV', "the fault stops peek's thread with SIGSEGV"),
        (r'=> 0x[0-9a-f]+ <main\+\d+>:\s+(ldr|lw)', "PC at the faulting load"),
        (r'exited with code 0206', "the halt policy ends the system with 134"),
    ]
    for pattern, what in checks:
        if not re.search(pattern, out):
            print(f"FAIL: {what} (no match for {pattern!r})")
            return 1
    if code != 134:
        print(f"FAIL: bulkhead exited {code}, expected 134")
        return 1
    if "partition `peek`: faulted" not in stderr or "halted the system" not in stderr:
        print("FAIL: bulkhead's summary does not report peek's fault and the halt")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
