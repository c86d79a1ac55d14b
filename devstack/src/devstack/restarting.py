"""Keeps one process of `make dev` running: `python -m devstack.restarting -- ARGV...`.

honcho stops the whole stack when any process exits; a crash of one subgraph (say, out of
memory on a hostile query) must not take the others with it. This runs ARGV, and when it
exits without being asked to, says so on stderr and starts it again after a growing pause.
A process that keeps crashing (MAX_CRASHES within WINDOW_SECONDS) is given up on: then this
exits with its code, and honcho reports it and stops the stack as before.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

MAX_CRASHES = 5
WINDOW_SECONDS = 60.0
MAX_PAUSE_SECONDS = 10.0
FIRST_PAUSE_SECONDS = float(os.environ.get("BUNRI_RESTART_PAUSE_SECONDS", "1"))


def supervise(argv: list[str]) -> int:
    child: subprocess.Popen[bytes] | None = None
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    crashes: list[float] = []
    while True:
        child = subprocess.Popen(argv)
        code = child.wait()
        if stopping:
            return code
        now = time.monotonic()
        crashes = [t for t in crashes if now - t < WINDOW_SECONDS] + [now]
        name = argv[-1] if len(argv) < 3 else " ".join(argv[:4])
        if len(crashes) >= MAX_CRASHES:
            print(
                f"restarting: {name!r} exited {len(crashes)} times in {WINDOW_SECONDS:g} s "
                f"(last code {code}); giving up",
                file=sys.stderr,
                flush=True,
            )
            return code or 1
        pause = min(FIRST_PAUSE_SECONDS * 2 ** (len(crashes) - 1), MAX_PAUSE_SECONDS)
        print(
            f"restarting: {name!r} exited with code {code}; starting it again in {pause:g} s",
            file=sys.stderr,
            flush=True,
        )
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            return code


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python -m devstack.restarting -- COMMAND [ARGS...]")
    sys.exit(supervise(argv))


if __name__ == "__main__":
    main()
