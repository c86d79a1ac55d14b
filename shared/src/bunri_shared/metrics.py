"""Prometheus metrics shared by every subgraph and worker (exposed at `/metrics`).

In worker processes `PROMETHEUS_MULTIPROC_DIR` is set before this is imported, so the
values land in files that Dramatiq's exposition server reads (see telemetry/worker.py).
"""

from __future__ import annotations

from prometheus_client import Counter

DB_STATEMENTS = Counter("bunri_db_statements", "SQL statements sent to Postgres", ["service"])
