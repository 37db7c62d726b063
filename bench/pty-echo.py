#!/usr/bin/env python3
"""An idle terminal's keystroke echo through a client on a local PTY: the floor of the app's
"keystroke -> echo painted, idle tab" row (issue 13).

    python3 bench/pty-echo.py KEYS -- CLIENT ARGS...   (e.g. podterm exec -it ... -- sh)
    python3 bench/pty-echo.py flood -- CLIENT ARGS...  (e.g. podterm exec -t ... -- sh -c CMD)

With `flood`: reads the client's terminal until it ends and prints {"bytes": N, "ms": M}
from the first byte to the last, nothing drawn: the rate the same flood reaches a terminal
that costs nothing (the source's ceiling for the app's "flood into a tab" row).

Runs the client on a PTY (as a terminal would), waits for the shell's prompt, then types KEYS
times an 'x', each once the output is quiet, and times keystroke -> the 'x' read back from the
client's terminal: the round trip to the pod's terminal and back, with nothing drawn. Ends with
Ctrl-U (the line typed away) and `exit`. Prints one JSON object: {"ms": [...]}. Part of
bench/app-bench.mjs.
"""
import json
import os
import pty
import select
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    flood = sys.argv[1] == "flood"
    keys = 0 if flood else int(sys.argv[1])
    master, slave = pty.openpty()
    p = subprocess.Popen(sys.argv[3:], stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
    os.close(slave)

    def read(timeout: float) -> bytes:
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return b""
        try:
            return os.read(master, 65536)
        except OSError:
            return b""

    def drain(quiet: float) -> None:
        """Reads until nothing came for `quiet` seconds."""
        while read(quiet):
            pass

    if flood:
        return read_all(master, p)
    out = {"ms": []}
    try:
        seen = b""
        end = time.monotonic() + 20
        while b"$" not in seen and b"#" not in seen:
            if time.monotonic() > end or p.poll() is not None:
                raise SystemExit(f"pty-echo: no prompt in 20 s: {seen[-300:]!r}")
            seen += read(0.05)
        drain(0.3)
        # One key first, not timed: the first one through a new connection also pays for its
        # warm-up (a 30-60 ms outlier measured), which an idle tab in use does not.
        for timed in [False] + [True] * keys:
            t = time.monotonic()
            os.write(master, b"x")
            end = t + 10
            while True:
                d = read(0.05)
                if b"x" in d:
                    if timed:
                        out["ms"].append(round((time.monotonic() - t) * 1000, 2))
                    break
                if time.monotonic() > end:
                    if timed:
                        out["ms"].append(None)
                    break
            drain(0.05)
        os.write(master, b"\x15exit\r")
        drain(0.3)
    finally:
        p.kill()
        p.wait()
        os.close(master)
    print(json.dumps(out))
    return 0


def read_all(master: int, p: subprocess.Popen) -> int:
    """Reads the terminal until the client ends (EIO once it and its PTY are gone)."""
    n = 0
    first = last = 0.0
    try:
        while True:
            try:
                d = os.read(master, 1 << 20)
            except OSError:
                break
            if not d:
                break
            last = time.monotonic()
            if n == 0:
                first = last
            n += len(d)
    finally:
        p.kill()
        p.wait()
        os.close(master)
    print(json.dumps({"bytes": n, "ms": round((last - first) * 1000, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
