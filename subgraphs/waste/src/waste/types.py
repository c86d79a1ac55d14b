"""GraphQL types of the waste subgraph."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry

from waste.context import Context
from waste.models import Analysis

Info = strawberry.Info[Context, None]


@strawberry.enum
class AnalysisStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    UNCLASSIFIED = "UNCLASSIFIED"
    FAILED = "FAILED"


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID


@strawberry.federation.type(keys=["code"])
class WasteCategory:
    code: strawberry.ID


@strawberry.type
class AnalysisResult:
    category: WasteCategory
    item_name: str | None
    confidence: float
    classifier: str
    cached: bool


@strawberry.type
class AnalysisError:
    code: str
    message: str


@strawberry.federation.type(keys=["id"], description="One analysis of one uploaded image.")
class WasteAnalysis:
    id: strawberry.ID
    row: strawberry.Private[Analysis]

    @classmethod
    def from_row(cls, row: Analysis) -> Self:
        return cls(id=strawberry.ID(str(row.id)), row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        row = await info.context.loaders.analysis.load(id)
        return cls.from_row(row) if row else None

    @strawberry.field
    def status(self) -> AnalysisStatus:
        return AnalysisStatus(self.row.status)

    @strawberry.field
    def stage(self) -> str:
        return self.row.stage

    @strawberry.field(description="0..100")
    def progress(self) -> int:
        return self.row.progress

    @strawberry.field
    def user(self) -> User:
        return User(id=strawberry.ID(str(self.row.user_id)))

    @strawberry.field
    def result(self) -> AnalysisResult | None:
        row = self.row
        if row.category_code is None:
            return None
        return AnalysisResult(
            category=WasteCategory(code=strawberry.ID(row.category_code)),
            item_name=row.item_name,
            confidence=row.confidence or 0.0,
            classifier=row.classifier or "",
            cached=bool(row.cached),
        )

    @strawberry.field
    def error(self) -> AnalysisError | None:
        if self.row.error_code is None:
            return None
        return AnalysisError(code=self.row.error_code, message=self.row.error_message or "")

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def finished_at(self) -> datetime | None:
        return self.row.finished_at
