"""Worker metrics: Dramatiq's Prometheus middleware, exposed by its own HTTP server.

Dramatiq 2 no longer adds this middleware by default. It serves `/metrics` from a forked
process on `dramatiq_prom_host:dramatiq_prom_port` (default 0.0.0.0:9191), summing what
every worker process wrote to `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess
mode). That directory must be set in the environment BEFORE the worker starts (the client
picks its storage at import) and be empty at start; the middleware is left out, with a
warning, when it is not set, rather than serve numbers that are never written. Our own
worker metrics (statements, pool, analyses, …) land in the same files.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from dramatiq import Middleware

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def worker_metrics() -> list[Middleware]:
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        log.warning("%s is not set: this worker exports no metrics", MULTIPROC_ENV)
        return []
    # Dramatiq's middleware reads its own variable for the same directory, at import.
    os.environ.setdefault("dramatiq_prom_db", directory)
    from dramatiq.middleware.prometheus import Prometheus

    prometheus = Prometheus()
    return [prometheus, ZeroedCounters(prometheus)]


class ZeroedCounters(Middleware):
    """Every actor's counters exist at 0 from boot: a first error or dead letter is then an
    increase that rate()/increase() and the alerts see, not a series that merely appears."""

    def __init__(self, prometheus: Any) -> None:
        self.prometheus = prometheus

    # Not after_process_boot: Dramatiq runs "after" hooks in reverse order, so the
    # Prometheus middleware's counters do not exist yet then.
    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        counters = [
            getattr(self.prometheus, name, None)
            for name in (
                "total_messages",
                "total_errored_messages",
                "total_retried_messages",
                "total_rejected_messages",
            )
        ]
        for actor_name in broker.get_declared_actors():
            actor = broker.get_actor(actor_name)
            for counter in counters:
                if counter is not None:
                    counter.labels(actor.queue_name, actor.actor_name)
