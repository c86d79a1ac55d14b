"""GraphQL types of the waste subgraph."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry

from bunri_shared.auth.permissions import require_owner
from bunri_shared.errors import bad_input, not_found
from bunri_shared.i18n import Language
from bunri_shared.ids import parse_uuid
from waste import service, stages
from waste.context import Context
from waste.models import Analysis

Info = strawberry.Info[Context, None]
MAX_PAGE = 50


@strawberry.enum
class AnalysisStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    UNCLASSIFIED = "UNCLASSIFIED"
    FAILED = "FAILED"


AnalysisStage = strawberry.enum(
    stages.Stage,
    name="AnalysisStage",
    description=(
        "Where an analysis is, in this order: QUEUED → STARTED → LOADING_IMAGE → "
        "CHECKING_CACHE → PREPARING_IMAGE → CLASSIFYING → FINALISING → DONE | FAILED. "
        "A cached answer skips from CHECKING_CACHE to FINALISING; after a transient "
        "failure the job shows RETRYING and starts again from QUEUED."
    ),
)
# Each value's description comes from stages.py (which knows no Strawberry).
for _value in AnalysisStage.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = stages.DESCRIPTIONS[stages.Stage(_value.value)]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class WasteAnalysisEdge:
    cursor: str
    node: WasteAnalysis


@strawberry.type
class WasteAnalysisConnection:
    edges: list[WasteAnalysisEdge]
    page_info: PageInfo


@strawberry.federation.type(keys=["id"])
class User:
    """Owned by the users subgraph; waste adds the user's analyses."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)

    @strawberry.field(description="Newest first. Owner only.")
    async def analyses(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> WasteAnalysisConnection:
        owner = parse_uuid(self.id)
        if owner is None:
            raise not_found("No such user.")
        require_owner(info.context, owner)
        limit = 20 if first is None else first
        if not 1 <= limit <= MAX_PAGE:
            raise bad_input(f"first must be between 1 and {MAX_PAGE}", field="first")
        async with info.context.sessions() as session:
            page = await service.analyses_page(
                session=session, user_id=owner, first=limit, after=after
            )
        edges = [
            WasteAnalysisEdge(cursor=service.cursor_of(row), node=WasteAnalysis.from_row(row))
            for row in page.rows
        ]
        return WasteAnalysisConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
        )


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
        """Owner only: another user's analysis is FORBIDDEN, whoever asks for it."""
        row = await info.context.loaders.analysis.load(id)
        if row is None:
            return None
        require_owner(info.context, row.user_id)
        return cls.from_row(row)

    @strawberry.field
    def status(self) -> AnalysisStatus:
        return AnalysisStatus(self.row.status)

    @strawberry.field
    def stage(self) -> AnalysisStage:  # type: ignore[valid-type]
        return stages.public_stage(self.row.stage, self.row.status)

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

    @strawberry.field(
        description="Points this analysis earned (0 for none, e.g. the same photo again); "
        "null until it has finished. The user's points total follows a moment later."
    )
    def points_awarded(self) -> int | None:
        return self.row.points_awarded


@strawberry.type
class ImageUpload:
    upload_id: strawberry.ID
    upload_url: str = strawberry.field(
        description="PUT the raw image bytes here, with the same Content-Type."
    )
    expires_at: datetime


@strawberry.input
class CreateImageUploadInput:
    content_type: str
    byte_size: int


@strawberry.input
class AnalyzeWasteInput:
    upload_id: strawberry.ID
    hint: str | None = strawberry.field(
        default=None, description='What the user says the item is, e.g. "생수병", "pizza box".'
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Same key from the same user: the same analysis, no second job."
    )


@strawberry.type
class AnalysisProgressEvent:
    analysis_id: strawberry.ID
    status: AnalysisStatus
    stage: AnalysisStage  # type: ignore[valid-type]
    progress: int
    points_awarded: int | None = strawberry.field(
        description="On the final event: the points this analysis earned (0 for none)."
    )
    row: strawberry.Private[Analysis]

    @strawberry.field(description="A short sentence about this stage for the user.")
    def message(self, language: Language | None = Language.KO) -> str | None:
        return stages.message(
            self.stage,
            status=self.status.value,
            language=language or Language.KO,
            points_awarded=self.points_awarded,
            error_code=self.row.error_code,
        )

    @strawberry.field
    def analysis(self) -> WasteAnalysis:
        return WasteAnalysis.from_row(self.row)
