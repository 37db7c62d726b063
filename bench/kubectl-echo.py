#!/usr/bin/env python3
"""kubectl's keystroke echo during a `yes` flood, the reference for the app's row (issue 13).

    python3 bench/kubectl-echo.py KUBECTL KUBECONFIG RATE KEYS

Runs `kubectl exec -it shell -- sh` on a local PTY (as a terminal would), starts `yes`, then
types KEYS times a 'Z' and times keystroke -> the 'Z' read back from kubectl's terminal.
RATE (bytes/s) is how fast this "terminal" reads kubectl's output: 0 reads as fast as it can
(a terminal that draws for free: what the path from the pod costs), otherwise the tab's
measured drawing rate of `yes` (what kubectl would give in a terminal that draws as fast as the
app's tab). Also reports the bytes read between the key and its echo: everything queued ahead of
it on the way from the pod. Prints one JSON object. Part of bench/app-bench.mjs.
"""
import json
import os
import pty
import select
import subprocess
import sys
import time


def main() -> int:
    kubectl, kubeconfig, rate, keys = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    master, slave = pty.openpty()
    p = subprocess.Popen(
        [kubectl, "--kubeconfig", kubeconfig, "-n", "demo", "exec", "-it", "shell", "--", "sh"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    total = 0
    due = time.monotonic()
    chunk = 16384

    def read_some(timeout: float) -> bytes:
        """One read, paced to RATE bytes/s (no credit saved up while output was slower)."""
        nonlocal total, due
        if rate > 0:
            now = time.monotonic()
            if due > now:
                time.sleep(min(due - now, timeout))
                if time.monotonic() < due:
                    return b""
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return b""
        try:
            data = os.read(master, chunk)
        except OSError:
            return b""
        total += len(data)
        if rate > 0:
            due = max(due, time.monotonic() - 0.01) + len(data) / rate
        return data

    def wait_for(pred, what: str, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if pred(read_some(0.05)):
                return
        raise SystemExit(f"kubectl-echo: no {what} in {seconds} s")

    out = {"rate": rate, "ms": [], "bytesAhead": []}
    try:
        wait_for(lambda d: b"$" in d or b"#" in d, "prompt", 20)
        os.write(master, b"yes\r")
        flowed = [0]

        def flowing(d: bytes) -> bool:
            flowed[0] += d.count(b"y\r\n") * 3
            return flowed[0] > 2_000_000

        wait_for(flowing, "yes output", 60)
        t_from, b_from = time.monotonic(), total
        for _ in range(keys):
            before = total
            t = time.monotonic()
            os.write(master, b"Z")
            end = t + 30
            while True:
                d = read_some(0.05)
                if b"Z" in d:
                    out["ms"].append(round((time.monotonic() - t) * 1000, 1))
                    out["bytesAhead"].append(total - before)
                    break
                if time.monotonic() > end:
                    out["ms"].append(None)
                    out["bytesAhead"].append(total - before)
                    break
            # Keys apart, as the app's bench types them (its WebDriver round trips).
            pause = time.monotonic() + 0.15
            while time.monotonic() < pause:
                read_some(0.05)
        out["readMBps"] = round((total - b_from) / 1e6 / (time.monotonic() - t_from), 1)
        os.write(master, b"\x03")
    finally:
        p.kill()
        p.wait()
        os.close(master)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
