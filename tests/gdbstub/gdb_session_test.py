#!/usr/bin/env python3
"""A real GDB against `bulkhead run --gdb 0 gdb_target-PROFILE.elf` (firmware_samples/gdb_target.c).

GDB, in batch mode: connects, lists the thread, breaks at gdb_mark, continues to it, steps one instruction,
prints the global gdb_value, and continues to the store into read-only memory at the end, which the MPU/PMP
denies: GDB must report SIGSEGV with PC at the faulting store, the same PC bulkhead's fault report names.
Every wait has a timeout, so a hang fails the test instead of stalling CI. Without gdb-multiarch (scripts/setup installs it) the test fails: it is never skipped.
"""
import argparse
import os
import queue
import re
import subprocess
import sys
import threading
import time


def reader(stream, lines, sink):
    for line in stream:
        lines.append(line)
        if sink is not None:
            sink.put(line)


def fail(msg, transcript):
    print(transcript)
    print("FAIL: " + msg)
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulkhead", required=True)
    ap.add_argument("--gdb", default="")
    ap.add_argument("--elf", required=True)
    args = ap.parse_args()
    if not args.gdb or not os.path.exists(args.gdb):
        print("FAIL: gdb-multiarch not found (scripts/setup installs it)")
        return 1
    arm = "rv32" not in os.path.basename(args.elf)

    proc = subprocess.Popen([args.bulkhead, "run", "--gdb", "0", args.elf], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out_lines, err_lines, err_queue = [], [], queue.Queue()
    threads = [threading.Thread(target=reader, args=(proc.stdout, out_lines, None), daemon=True),
               threading.Thread(target=reader, args=(proc.stderr, err_lines, err_queue), daemon=True)]
    for t in threads:
        t.start()
    gdb_out = ""
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            try:
                line = err_queue.get(timeout=0.5)
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            m = re.match(r"bulkhead: waiting for GDB on 127\.0\.0\.1:(\d+)$", line.strip())
            if m:
                port = int(m.group(1))
        if port is None:
            return fail("bulkhead did not say which port it listens on", "".join(err_lines))

        commands = [
            "set confirm off", "set pagination off", "set width 0",
            f"target remote 127.0.0.1:{port}",
            "info threads",
            "break gdb_mark",
            "continue",
            'printf "BP_PC=0x%08x\\n", $pc',
            "stepi",
            'printf "STEP_PC=0x%08x\\n", $pc',
            "print gdb_value",
            "continue",
            'printf "FAULT_PC=0x%08x\\n", $pc',
            "x/i $pc",
        ]
        cmd = ["timeout", "60", args.gdb, "-batch", "-nx"]
        for c in commands:
            cmd += ["-ex", c]
        cmd.append(args.elf)
        try:
            gdb = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        except subprocess.TimeoutExpired as e:
            return fail("gdb timed out", str(e.stdout) + str(e.stderr))
        gdb_out = gdb.stdout + gdb.stderr
        try:
            status = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            return fail("bulkhead did not exit after GDB quit", gdb_out)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for t in threads:
        t.join(timeout=5)
    bh_err = "".join(err_lines)
    transcript = ("---- gdb ----\n" + gdb_out + "---- bulkhead stdout ----\n" + "".join(out_lines) +
                  "---- bulkhead stderr ----\n" + bh_err + f"---- bulkhead exit status {status} ----")
    print(transcript)

    def need(pattern, what):
        m = re.search(pattern, gdb_out, re.M)
        if not m:
            raise AssertionError(what + f" (no match for {pattern!r})")
        return m

    try:
        need(r"Thread 1 \(" + re.escape(os.path.basename(args.elf)) + r"\)", "info threads names the module")
        bp = int(need(r"^Breakpoint 1 at (0x[0-9a-f]+)", "breakpoint set at gdb_mark").group(1), 16)
        need(r"^Breakpoint 1, (0x[0-9a-f]+ in )?gdb_mark \(", "breakpoint hit at gdb_mark")
        bp_pc = int(need(r"^BP_PC=(0x[0-9a-f]+)", "pc at the breakpoint").group(1), 16)
        if bp_pc != bp:
            raise AssertionError(f"stopped at {bp_pc:#x}, breakpoint at {bp:#x}")
        step_pc = int(need(r"^STEP_PC=(0x[0-9a-f]+)", "pc after stepi").group(1), 16)
        if not 2 <= step_pc - bp_pc <= 4:
            raise AssertionError(f"stepi went from {bp_pc:#x} to {step_pc:#x}, not one instruction")
        need(r"^\$1 = 42$", "gdb_value read as 42")
        need(r"^Program received signal SIGSEGV, Segmentation fault\.", "SIGSEGV at the fault")
        fault_pc = int(need(r"^FAULT_PC=(0x[0-9a-f]+)", "pc at the fault").group(1), 16)
        insn = need(r"^=> 0x[0-9a-f]+ <gdb_poke\+\d+>:\s+(\w+)", "faulting instruction in gdb_poke").group(1)
        if insn not in (("str",) if arm else ("sw", "c.sw")):
            raise AssertionError(f"the instruction at the fault is {insn}, not a store")
        kind = "MemManage" if arm else "AccessFault"
        m = re.search(r"bulkhead: " + kind + r": write of 4 bytes at 0x[0-9a-f]+, pc (0x[0-9a-f]+) <gdb_poke", bh_err)
        if not m:
            raise AssertionError(f"bulkhead's report names no {kind} in gdb_poke")
        if int(m.group(1), 16) != fault_pc:
            raise AssertionError(f"GDB stopped at {fault_pc:#x}, bulkhead reports the fault at {m.group(1)}")
        if status != 139:
            raise AssertionError(f"bulkhead exited with {status}, not 139 (memory fault)")
        if "gdb target running" not in "".join(out_lines):
            raise AssertionError("the module's console output is missing")
    except AssertionError as e:
        print("FAIL: " + str(e))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
