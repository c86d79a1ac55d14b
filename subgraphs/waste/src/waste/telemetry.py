"""The waste domain's own metrics: analyses by outcome, progress-event delay. Hooks only:
the pipeline's logic does not depend on it (classifier spans: classifiers/traced.py)."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram

ANALYSES = Counter(
    "bunri_analyses", "Analyses that reached a final status (worker side)", ["status"]
)
PROGRESS_DELAY = Histogram(
    "bunri_progress_event_delay_seconds",
    "From a worker publishing a progress event to a subgraph process receiving it",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)


def observe_delivery(published_at: float | None) -> None:
    if published_at is not None:
        PROGRESS_DELAY.observe(max(time.time() - published_at, 0.0))
