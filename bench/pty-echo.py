#!/usr/bin/env python3
"""A client (kubectl, podterm's CLI) on a local PTY, as a terminal would run it, with nothing
drawn: the references of the app's terminal rows (issue 13). Part of bench/app-bench.mjs.

    python3 bench/pty-echo.py KEYS -- CLIENT ARGS...           (e.g. podterm exec -it ... -- sh)
    python3 bench/pty-echo.py flood -- CLIENT ARGS...          (e.g. podterm exec -t ... -- sh -c CMD)
    python3 bench/pty-echo.py yes RATE KEYS -- CLIENT ARGS...  (e.g. kubectl exec -it ... -- sh)

KEYS: an idle terminal's keystroke echo, the floor of the "keystroke -> echo painted, idle tab"
row. Waits for the shell's prompt, then types KEYS times an 'x', each once the output is quiet,
and times keystroke -> the 'x' read back from the client's terminal: the round trip to the
pod's terminal and back. Ends with Ctrl-U (the line typed away) and `exit`. Prints {"ms": [...]}.

flood: reads the client's terminal until it ends and prints {"bytes": N, "ms": M} from the
first byte to the last: the rate the same flood reaches a terminal that costs nothing (the
source's ceiling for the "flood into a tab" row).

yes: the keystroke echo during a `yes` flood (the reference for that row, with kubectl). Starts
`yes` at the prompt, then types KEYS times a 'Z' and times keystroke -> the 'Z' read back. RATE
(bytes/s) is how fast this "terminal" reads: 0 as fast as it can (a terminal that draws for
free: what the path from the pod costs), otherwise the tab's measured drawing rate of `yes`
(what the client would give in a terminal that draws as fast as the app's tab). Also reports
the bytes read between each key and its echo (everything queued ahead of it on the way from the
pod) and the rate read. Prints {"rate": R, "ms": [...], "bytesAhead": [...], "readMBps": M}.
"""
import json
import os
import pty
import select
import subprocess
import sys
import time


class Term:
    """The client on a PTY; reads of its output, paced to `rate` bytes/s (0: unpaced)."""

    def __init__(self, argv: list, rate: float = 0, chunk: int = 65536):
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
        os.close(slave)
        self.rate = rate
        self.chunk = chunk
        self.total = 0
        self.due = time.monotonic()

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def read(self, timeout: float) -> bytes:
        """One read (b"" when nothing came within `timeout`), paced to the rate with no credit
        saved up while output was slower."""
        if self.rate > 0:
            now = time.monotonic()
            if self.due > now:
                time.sleep(min(self.due - now, timeout))
                if time.monotonic() < self.due:
                    return b""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return b""
        try:
            data = os.read(self.master, self.chunk)
        except OSError:
            return b""
        self.total += len(data)
        if self.rate > 0:
            self.due = max(self.due, time.monotonic() - 0.01) + len(data) / self.rate
        return data

    def drain(self, quiet: float) -> None:
        """Reads until nothing came for `quiet` seconds."""
        while self.read(quiet):
            pass

    def wait_for(self, pred, what: str, seconds: float) -> None:
        """Reads until `pred` holds for a read's bytes; exits with `what` after `seconds`."""
        end = time.monotonic() + seconds
        seen = b""
        while time.monotonic() < end and self.p.poll() is None:
            d = self.read(0.05)
            seen = (seen + d)[-300:]
            if pred(d):
                return
        raise SystemExit(f"pty-echo: no {what} in {seconds} s: {seen!r}")

    def key_echo(self, key: bytes, within: float) -> float | None:
        """Types `key`; ms until it is read back, None if not within `within` seconds."""
        t = time.monotonic()
        self.write(key)
        while True:
            if key in self.read(0.05):
                return (time.monotonic() - t) * 1000
            if time.monotonic() > t + within:
                return None

    def close(self) -> None:
        self.p.kill()
        self.p.wait()
        os.close(self.master)


def prompt(d: bytes) -> bool:
    return b"$" in d or b"#" in d


def idle_echo(t: Term, keys: int) -> dict:
    out = {"ms": []}
    t.wait_for(prompt, "prompt", 20)
    t.drain(0.3)
    # One key first, not timed: the first one through a new connection also pays for its
    # warm-up (a 30-60 ms outlier measured), which an idle tab in use does not.
    for timed in [False] + [True] * keys:
        ms = t.key_echo(b"x", 10)
        if timed:
            out["ms"].append(None if ms is None else round(ms, 2))
        t.drain(0.05)
    t.write(b"\x15exit\r")
    t.drain(0.3)
    return out


def flood(t: Term) -> dict:
    """Reads the terminal until the client ends (EIO once it and its PTY are gone)."""
    n = 0
    first = last = 0.0
    while True:
        try:
            d = os.read(t.master, 1 << 20)
        except OSError:
            break
        if not d:
            break
        last = time.monotonic()
        if n == 0:
            first = last
        n += len(d)
    return {"bytes": n, "ms": round((last - first) * 1000, 1)}


def yes_echo(t: Term, keys: int) -> dict:
    out = {"rate": t.rate, "ms": [], "bytesAhead": []}
    t.wait_for(prompt, "prompt", 20)
    t.write(b"yes\r")
    flowed = [0]

    def flowing(d: bytes) -> bool:
        flowed[0] += d.count(b"y\r\n") * 3
        return flowed[0] > 2_000_000

    t.wait_for(flowing, "yes output", 60)
    t_from, b_from = time.monotonic(), t.total
    for _ in range(keys):
        before = t.total
        ms = t.key_echo(b"Z", 30)
        out["ms"].append(None if ms is None else round(ms, 1))
        out["bytesAhead"].append(t.total - before)
        # Keys apart, as the app's bench types them (its WebDriver round trips).
        pause = time.monotonic() + 0.15
        while time.monotonic() < pause:
            t.read(0.05)
    out["readMBps"] = round((t.total - b_from) / 1e6 / (time.monotonic() - t_from), 1)
    t.write(b"\x03")
    return out


def main() -> int:
    args = sys.argv[1:]
    if "--" not in args or not args[args.index("--") + 1 :]:
        print(__doc__, file=sys.stderr)
        return 2
    mode, argv = args[: args.index("--")], args[args.index("--") + 1 :]
    if mode == ["flood"]:
        t = Term(argv)
        run = lambda: flood(t)
    elif len(mode) == 3 and mode[0] == "yes":
        t = Term(argv, rate=float(mode[1]), chunk=16384)
        run = lambda: yes_echo(t, int(mode[2]))
    elif len(mode) == 1 and mode[0].isdigit():
        t = Term(argv)
        run = lambda: idle_echo(t, int(mode[0]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        out = run()
    finally:
        t.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
