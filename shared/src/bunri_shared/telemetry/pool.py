"""Connection pool metrics: connections in use, and checkouts that had to wait.

Event-driven gauges rather than a scrape-time collector, so they also work in Dramatiq
worker processes (multiprocess mode, where only file-backed values are exported).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.pool import AsyncAdaptedQueuePool

POOL_IN_USE = Gauge(
    "bunri_db_pool_in_use",
    "Pooled Postgres connections checked out right now",
    ["service"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "bunri_db_pool_max",
    "Most connections the pool may open (pool size + overflow)",
    ["service"],
    multiprocess_mode="livesum",
)
POOL_WAITS = Counter(
    "bunri_db_pool_waits",
    "Checkouts that found every allowed connection in use and had to wait",
    ["service"],
)
POOL_WAIT_SECONDS = Histogram(
    "bunri_db_pool_wait_seconds",
    "Time a checkout waited for a free connection (only checkouts that waited)",
    ["service"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
)


class MeteredPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's async queue pool, counting and timing the checkouts that wait."""

    service = "unknown"

    def _do_get(self) -> Any:
        # Every allowed connection out: this checkout blocks until one comes back.
        exhausted = self.checkedout() >= self.size() + max(self._max_overflow, 0)
        if not exhausted:
            return super()._do_get()
        started = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            POOL_WAITS.labels(self.service).inc()
            POOL_WAIT_SECONDS.labels(self.service).observe(time.perf_counter() - started)


def metered_pool(service: str) -> type[MeteredPool]:
    return type(f"MeteredPool_{service}", (MeteredPool,), {"service": service})


def watch_pool(engine: Any, *, service: str, pool_size: int, max_overflow: int) -> None:
    """Track checkouts on the (sync) engine; the gauge follows checkout and checkin."""
    in_use = POOL_IN_USE.labels(service)
    POOL_MAX.labels(service).set(pool_size + max(max_overflow, 0))
    # Shown at 0 from the start, so alerts and dashboards see the series before any wait.
    POOL_WAITS.labels(service)
    POOL_WAIT_SECONDS.labels(service)

    @event.listens_for(engine, "checkout")
    def _out(*_args: object) -> None:
        in_use.inc()

    @event.listens_for(engine, "checkin")
    def _in(*_args: object) -> None:
        in_use.dec()
