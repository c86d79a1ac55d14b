"""An analysis's status and the state a client is shown; no Strawberry, no SQLAlchemy.

`AnalysisState` is what a progress event carries and what `WasteAnalysis` shows: built
from a row by the service, or decoded from an event, so a subscriber needs no database
read per event. Only what the API shows goes in: no storage keys, no signed URLs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Row

    from waste.models import Analysis


class AnalysisStatus(StrEnum):
    """Stored in `analyses.status` as these very strings (no migration needed)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    UNCLASSIFIED = "UNCLASSIFIED"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


class AnalysisStep(StrEnum):
    """The pipeline's step, stored in `analyses.stage` as these very strings (no migration
    needed); clients see it as a public `stages.Stage`."""

    QUEUED = "queued"  # requested, not yet claimed
    REQUEUED = "requeued"  # the reconciler's restart of a job whose worker died
    RETRYING = "retrying"  # a transient failure: back to QUEUED for Dramatiq's retry
    START = "start"  # claimed by a worker
    LOAD = "load"
    HASH = "hash"  # the cache check
    PREPROCESS = "preprocess"
    CLASSIFY = "classify"
    FINALISE = "finalise"
    DONE = "done"  # SUCCEEDED or UNCLASSIFIED
    FAILED = "failed"


TERMINAL = frozenset({AnalysisStatus.SUCCEEDED, AnalysisStatus.UNCLASSIFIED, AnalysisStatus.FAILED})
IN_PROGRESS = (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)

DESCRIPTIONS = {
    AnalysisStatus.QUEUED: "Waiting for a worker.",
    AnalysisStatus.RUNNING: "A worker is on it.",
    AnalysisStatus.SUCCEEDED: "Final: `result` says what it is.",
    AnalysisStatus.UNCLASSIFIED: "Final: an honest could-not-tell; try again with a hint.",
    AnalysisStatus.FAILED: "Final: `error` says why.",
}


@dataclass(frozen=True, slots=True)
class AnalysisState:
    id: uuid.UUID
    user_id: uuid.UUID
    status: AnalysisStatus
    stage: AnalysisStep  # stages.public_stage maps it to what clients see
    progress: int
    created_at: datetime
    finished_at: datetime | None = None
    category_code: str | None = None
    item_name: str | None = None
    confidence: float | None = None
    classifier: str | None = None
    cached: bool | None = None
    error_code: str | None = None
    error_message: str | None = None
    # Decided with the final state (0: none); null before.
    points_awarded: int | None = None

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @classmethod
    def of(cls, row: Analysis | Row[Any]) -> AnalysisState:
        return cls(
            id=row.id,
            user_id=row.user_id,
            status=AnalysisStatus(row.status),
            stage=AnalysisStep(row.stage),
            progress=row.progress,
            created_at=row.created_at,
            finished_at=row.finished_at,
            category_code=row.category_code,
            item_name=row.item_name,
            confidence=row.confidence,
            classifier=row.classifier,
            cached=row.cached,
            error_code=row.error_code,
            error_message=row.error_message,
            points_awarded=row.points_awarded,
        )

    def to_json(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict (which deep-copies): one per event.
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        data["id"], data["user_id"] = str(self.id), str(self.user_id)
        data["created_at"] = self.created_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnalysisState:
        finished = data.get("finished_at")
        return cls(
            **{
                **data,
                "id": uuid.UUID(data["id"]),
                "user_id": uuid.UUID(data["user_id"]),
                "status": AnalysisStatus(data["status"]),
                "stage": AnalysisStep(data["stage"]),
                "created_at": datetime.fromisoformat(data["created_at"]),
                "finished_at": datetime.fromisoformat(finished) if finished else None,
            }
        )


FIELD_NAMES = tuple(field.name for field in fields(AnalysisState))
