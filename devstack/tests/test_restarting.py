"""`make dev` restarts a crashed process and stops it cleanly when asked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CRASHING = "import sys; open(sys.argv[1], 'a').write('started\\n'); sys.exit(3)"
LONG_RUNNING = "import sys, time; open(sys.argv[1], 'a').write('started\\n'); time.sleep(60)"


def _supervised(script: str, marker: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "devstack.restarting", "--", sys.executable, "-c", script,
         str(marker)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BUNRI_RESTART_PAUSE_SECONDS": "0.05"},
    )  # fmt: skip


def test_a_crashed_process_is_restarted_then_given_up_on(tmp_path: Path) -> None:
    marker = tmp_path / "starts"
    supervisor = _supervised(CRASHING, marker)
    code = supervisor.wait(timeout=60)
    stderr = supervisor.stderr.read() if supervisor.stderr else ""
    assert marker.read_text().count("started") == 5
    assert "exited with code 3; starting it again" in stderr
    assert "giving up" in stderr
    assert code == 3


def test_a_stop_request_stops_the_process_without_restarting_it(tmp_path: Path) -> None:
    marker = tmp_path / "starts"
    supervisor = _supervised(LONG_RUNNING, marker)
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.send_signal(signal.SIGTERM)
    supervisor.wait(timeout=10)
    time.sleep(0.5)
    assert marker.read_text().count("started") == 1
