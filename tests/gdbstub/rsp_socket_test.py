#!/usr/bin/env python3
"""`bulkhead run --gdb 0` over a raw socket: what a batch GDB script cannot easily show.

1. ctrl-C (0x03) while the module runs stops it with SIGINT (T02); `k` then ends bulkhead with 137.
2. `D` (detach) lets the module run to its end without the debugger; bulkhead exits with its status.
Every wait has a timeout.
"""
import argparse
import re
import socket
import subprocess
import sys
import time


def frame(data):
    return "$%s#%02x" % (data, sum(data.encode()) & 0xFF)


def start(bulkhead, elf):
    proc = subprocess.Popen([bulkhead, "run", "--gdb", "0", elf], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()  # the first line says where it listens
    m = re.match(r"bulkhead: waiting for GDB on 127\.0\.0\.1:(\d+)$", line.strip())
    if not m:
        proc.kill()
        raise AssertionError("no port line: " + line)
    sock = socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=20)
    return proc, sock


def expect(sock, pattern):
    buf = b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        m = re.search(pattern.encode(), buf)
        if m:
            return m
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    raise AssertionError(f"expected {pattern!r}, got {buf!r}")


def interrupt_then_kill(bulkhead, elf):
    proc, sock = start(bulkhead, elf)
    try:
        sock.sendall(frame("QStartNoAckMode").encode())
        expect(sock, r"\+\$OK#9a")
        sock.sendall(frame("vCont;c").encode())
        time.sleep(0.3)
        sock.sendall(b"\x03")
        expect(sock, r"\$T02thread:1;#[0-9a-f]{2}")
        sock.sendall(frame("p0").encode())  # registers still readable after the interrupt
        expect(sock, r"\$[0-9a-f]{8}#[0-9a-f]{2}")
        sock.sendall(frame("k").encode())
        status = proc.wait(timeout=20)
        err = proc.stderr.read()
        if status != 137 or "killed by the debugger" not in err:
            raise AssertionError(f"after k: status {status}, stderr {err!r}")
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def detach_runs_to_the_end(bulkhead, elf):
    proc, sock = start(bulkhead, elf)
    try:
        sock.sendall(b"+" + frame("?").encode())
        expect(sock, r"\$T05thread:1;#[0-9a-f]{2}")
        sock.sendall(b"+" + frame("D").encode())
        expect(sock, r"\$OK#9a")
        status = proc.wait(timeout=20)
        out = proc.stdout.read()
        if status != 0 or "Hello from a Bulkhead module" not in out:
            raise AssertionError(f"after D: status {status}, stdout {out!r}")
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulkhead", required=True)
    ap.add_argument("--long-elf", required=True, help="a module that runs long enough to interrupt")
    ap.add_argument("--hello-elf", required=True)
    a = ap.parse_args()
    try:
        interrupt_then_kill(a.bulkhead, a.long_elf)
        detach_runs_to_the_end(a.bulkhead, a.hello_elf)
    except (AssertionError, OSError, subprocess.TimeoutExpired) as e:
        print("FAIL: " + str(e))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
