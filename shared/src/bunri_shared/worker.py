"""What a subgraph's Dramatiq worker shares between its actors."""

from __future__ import annotations

from bunri_shared.logging import configure_logging
from bunri_shared.resources import Resources
from bunri_shared.settings import ServiceSettings
from bunri_shared.telemetry import metrics as graphql_metrics
from bunri_shared.telemetry.tracing import configure_tracing


def configure_worker(settings: ServiceSettings) -> None:
    """JSON logs in worker processes too (Dramatiq's own lines included), and traces."""
    service = f"{settings.service_name}-worker"
    configure_logging(service=service, level=settings.log_level, json=settings.log_json)
    graphql_metrics.SERVICE["name"] = service
    configure_tracing(service)


class WorkerResources:
    """Opened on first use, inside the worker's event loop (async actors run there),
    so the engine's connections belong to that loop."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._resources: Resources | None = None

    def get(self) -> Resources:
        if self._resources is None:
            self._resources = Resources.open(self.settings)
        return self._resources
