"""The waste domain's own metrics and spans: analyses by outcome, progress-event delay,
classifier calls as client spans. Hooks only: the pipeline's logic does not depend on it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram

from waste.classifiers import Classification, Classifier, Unclassified

ANALYSES = Counter(
    "bunri_analyses", "Analyses that reached a final status (worker side)", ["status"]
)
PROGRESS_DELAY = Histogram(
    "bunri_progress_event_delay_seconds",
    "From a worker publishing a progress event to a subgraph process receiving it",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
tracer = trace.get_tracer("bunri.waste")


def observe_delivery(published_at: float | None) -> None:
    if published_at is not None:
        PROGRESS_DELAY.observe(max(time.time() - published_at, 0.0))


@dataclass(frozen=True, slots=True)
class TracedClassifier:
    """Each classification a CLIENT span (a call to a model, local or remote)."""

    inner: Classifier

    @property
    def name(self) -> str:
        return self.inner.name

    async def classify(
        self, *, image: bytes, content_type: str, hint: str | None
    ) -> Classification:
        with tracer.start_as_current_span(
            "classify",
            kind=SpanKind.CLIENT,
            attributes={"bunri.classifier": self.inner.name, "bunri.image.bytes": len(image)},
            record_exception=False,
        ) as span:
            try:
                found = await self.inner.classify(image=image, content_type=content_type, hint=hint)
            except Unclassified:
                span.set_attribute("bunri.classification", "unclassified")
                raise
            except Exception as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            span.set_attribute("bunri.classification", found.category_code)
            return found
