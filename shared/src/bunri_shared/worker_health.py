"""Liveness for Dramatiq workers, which serve no HTTP: a heartbeat file.

The middleware touches the file while the worker runs; the container healthcheck runs
`python -m bunri_shared.worker_health` and fails when the file is missing or stale.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from dramatiq import Middleware
from prometheus_client import Gauge

from bunri_shared.telemetry import metrics as telemetry_metrics

DEFAULT_PATH = Path(os.environ.get("BUNRI_WORKER_HEARTBEAT", "/tmp/bunri-worker-heartbeat"))
INTERVAL_SECONDS = 10.0
# The same beat as a metric, for the "worker heartbeat stale" alert.
HEARTBEAT = Gauge(
    "bunri_worker_heartbeat_timestamp_seconds",
    "When a worker process last beat (Unix time)",
    ["service"],
    multiprocess_mode="max",
)


class HeartbeatFile(Middleware):
    def __init__(self, path: Path = DEFAULT_PATH) -> None:
        self.path = path
        self._stop = threading.Event()

    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        threading.Thread(target=self._beat, name="heartbeat-file", daemon=True).start()

    def before_worker_shutdown(self, broker: Any, worker: Any) -> None:
        self._stop.set()

    def _beat(self) -> None:
        beat = HEARTBEAT.labels(telemetry_metrics.SERVICE["name"])
        while not self._stop.is_set():
            self.path.touch()
            beat.set(time.time())
            self._stop.wait(INTERVAL_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(description="Exit 0 if the worker's heartbeat is fresh.")
    parser.add_argument("--max-age", type=float, default=6 * INTERVAL_SECONDS)
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    try:
        age = time.time() - args.path.stat().st_mtime
    except FileNotFoundError:
        sys.exit(f"no heartbeat at {args.path}")
    if age > args.max_age:
        sys.exit(f"heartbeat is {age:.0f}s old")


if __name__ == "__main__":
    main()
