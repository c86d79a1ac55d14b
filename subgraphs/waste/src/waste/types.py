"""GraphQL types of the waste subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from bunri_shared.auth.permissions import require_owned, require_owner
from bunri_shared.errors import not_found
from bunri_shared.i18n import Language, LanguageArgument
from bunri_shared.ids import parse_uuid
from bunri_shared.paging import page_size, paged
from waste import service, stages, state
from waste.context import Context
from waste.models import Analysis

Info = strawberry.Info[Context, None]


AnalysisStatus = strawberry.enum(
    state.AnalysisStatus,
    name="AnalysisStatus",
    description="Where an analysis stands; the last three are final.",
)
# Each value's description comes from state.py (which knows no Strawberry).
for _value in AnalysisStatus.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = state.DESCRIPTIONS[state.AnalysisStatus(_value.value)]


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


@strawberry.type(description="Where a page of a list ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether another page follows.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page; null for an empty page."
    )


@strawberry.type(description="One analysis in a page of them.")
class WasteAnalysisEdge:
    cursor: str = strawberry.field(description="This position, for `after`.")
    node: WasteAnalysis = strawberry.field(description="The analysis.")


@strawberry.type(description="A page of analyses, newest first.")
class WasteAnalysisConnection:
    edges: list[WasteAnalysisEdge] = strawberry.field(description="The analyses of this page.")
    page_info: PageInfo = strawberry.field(description="Whether and where the list goes on.")


@strawberry.federation.type(keys=["id"], description="A person using Bunri.")
class User:
    """Owned by the users subgraph; waste adds the user's analyses."""

    id: strawberry.ID = strawberry.field(description="The user's id (= their account's).")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)

    @strawberry.field(
        description="Newest first. Owner only.", directives=paged(sized_fields=["edges"])
    )
    async def analyses(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="At most this many, 1..50.")
        ] = 20,
        after: Annotated[
            str | None,
            strawberry.argument(description="A cursor (pageInfo.endCursor): the page after it."),
        ] = None,
    ) -> WasteAnalysisConnection:
        owner = parse_uuid(self.id)
        if owner is None:
            raise not_found("No such user.")
        require_owner(info.context, owner)
        limit = page_size(first, default=20)
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


@strawberry.federation.type(
    keys=["code"], description="A category of the Korean disposal taxonomy."
)
class WasteCategory:
    code: strawberry.ID = strawberry.field(
        description='Stable code of the category, e.g. "CLEAR_PET"; its identity in caches.'
    )


@strawberry.type(description="What the photographed item is.")
class AnalysisResult:
    category: WasteCategory = strawberry.field(
        description="Its category: how to dispose of it and where."
    )
    item_name: str | None = strawberry.field(
        description="The item as recognised (e.g. a catalogue item's name), when known."
    )
    confidence: float = strawberry.field(description="How sure the classifier is, 0..1.")
    classifier: str = strawberry.field(
        description='Which classifier answered ("offline-hint", "vision").'
    )
    cached: bool = strawberry.field(
        description="Reused from an earlier analysis of the same photo and hint."
    )


@strawberry.type(description="Why an analysis failed.")
class AnalysisError:
    code: str = strawberry.field(
        description="Stable reason, e.g. UPLOAD_NOT_FOUND, INVALID_IMAGE, CLASSIFIER_ERROR, "
        "TIME_LIMIT, RETRIES_EXHAUSTED."
    )
    message: str = strawberry.field(description="A short English explanation.")


@strawberry.federation.type(keys=["id"], description="One analysis of one uploaded image.")
class WasteAnalysis:
    id: strawberry.ID = strawberry.field(description="The analysis's id.")
    # What is shown, from a row or from a progress event (no database read then).
    snapshot: strawberry.Private[state.AnalysisState]

    @classmethod
    def from_row(cls, row: Analysis) -> Self:
        return cls.from_state(state.AnalysisState.of(row))

    @classmethod
    def from_state(cls, analysis: state.AnalysisState) -> Self:
        return cls(id=strawberry.ID(str(analysis.id)), snapshot=analysis)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        """Owner only: another user's analysis is NOT_FOUND, exactly like a missing one."""
        analysis_id = parse_uuid(id)
        row = await info.context.loaders.analysis.load(analysis_id) if analysis_id else None
        require_owned(info.context, row.user_id if row else None, what="analysis")
        assert row is not None
        return cls.from_row(row)

    @strawberry.field(description="Where it stands; SUCCEEDED, UNCLASSIFIED, FAILED are final.")
    def status(self) -> AnalysisStatus:
        return self.snapshot.status

    @strawberry.field(description="The step it is at (see AnalysisStage for the order).")
    def stage(self) -> AnalysisStage:  # type: ignore[valid-type]
        return stages.public_stage(self.snapshot.stage)

    @strawberry.field(description="0..100")
    def progress(self) -> int:
        return self.snapshot.progress

    @strawberry.field(description="Whose photo it is.")
    def user(self) -> User:
        return User(id=strawberry.ID(str(self.snapshot.user_id)))

    @strawberry.field(description="The answer, once SUCCEEDED; null otherwise.")
    def result(self) -> AnalysisResult | None:
        shown = self.snapshot
        if shown.category_code is None:
            return None
        return AnalysisResult(
            category=WasteCategory(code=strawberry.ID(shown.category_code)),
            item_name=shown.item_name,
            confidence=shown.confidence or 0.0,
            classifier=shown.classifier or "",
            cached=bool(shown.cached),
        )

    @strawberry.field(description="Why it FAILED; null otherwise.")
    def error(self) -> AnalysisError | None:
        if self.snapshot.error_code is None:
            return None
        return AnalysisError(
            code=self.snapshot.error_code, message=self.snapshot.error_message or ""
        )

    @strawberry.field(description="When it was requested.")
    def created_at(self) -> datetime:
        return self.snapshot.created_at

    @strawberry.field(description="When it reached a final status; null before.")
    def finished_at(self) -> datetime | None:
        return self.snapshot.finished_at

    @strawberry.field(
        description="Points this analysis earned (0 for none, e.g. the same photo again); "
        "null until it has finished. The user's points total follows a moment later."
    )
    def points_awarded(self) -> int | None:
        return self.snapshot.points_awarded


@strawberry.type(description="A reserved upload: where to PUT the photo's bytes.")
class ImageUpload:
    upload_id: strawberry.ID = strawberry.field(description="Pass to analyzeWaste.")
    upload_url: str = strawberry.field(
        description="PUT the raw image bytes here, with the same Content-Type."
    )
    expires_at: datetime = strawberry.field(description="The URL works until then (10 minutes).")


@strawberry.input(description="The photo about to be uploaded.")
class CreateImageUploadInput:
    content_type: str = strawberry.field(
        description="image/jpeg, image/png or image/webp; the PUT must send the same."
    )
    byte_size: int = strawberry.field(
        description="Exact size of the bytes to be PUT, 1 byte to 10 MB."
    )


@strawberry.input(description="Which uploaded photo to analyse.")
class AnalyzeWasteInput:
    upload_id: strawberry.ID = strawberry.field(description="From createImageUpload.")
    hint: str | None = strawberry.field(
        default=None, description='What the user says the item is, e.g. "생수병", "pizza box".'
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Same key from the same user: the same analysis, no second job."
    )


@strawberry.type(description="One step of an analysis, as it happens.")
class AnalysisProgressEvent:
    analysis_id: strawberry.ID = strawberry.field(description="The analysis followed.")
    status: AnalysisStatus = strawberry.field(description="Its status now.")
    stage: AnalysisStage = strawberry.field(  # type: ignore[valid-type]
        description="The step it is at (see AnalysisStage for the order)."
    )
    progress: int = strawberry.field(description="0..100; 100 once final.")
    points_awarded: int | None = strawberry.field(
        description="On the final event: the points this analysis earned (0 for none)."
    )
    snapshot: strawberry.Private[state.AnalysisState]

    @classmethod
    def of(cls, analysis: state.AnalysisState) -> Self:
        """Built from the state alone: an event needs no database read."""
        return cls(
            analysis_id=strawberry.ID(str(analysis.id)),
            status=analysis.status,
            stage=stages.public_stage(analysis.stage),
            progress=analysis.progress,
            points_awarded=analysis.points_awarded,
            snapshot=analysis,
        )

    @strawberry.field(description="A short sentence about this stage for the user.")
    def message(self, language: LanguageArgument = Language.KO) -> str | None:
        return stages.message(
            self.stage,
            status=self.status,
            language=language or Language.KO,
            points_awarded=self.points_awarded,
            error_code=self.snapshot.error_code,
        )

    @strawberry.field(description="The analysis as stored at this event.")
    def analysis(self) -> WasteAnalysis:
        return WasteAnalysis.from_state(self.snapshot)
