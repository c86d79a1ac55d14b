"""Classifier calls as client spans (worker side)."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from waste.classifiers.base import Classification, Classifier, Unclassified

tracer = trace.get_tracer("bunri.waste")


@dataclass(frozen=True, slots=True)
class TracedClassifier:
    """Each classification a CLIENT span (a call to a model, local or remote)."""

    inner: Classifier

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def reads_image(self) -> bool:
        return self.inner.reads_image

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
