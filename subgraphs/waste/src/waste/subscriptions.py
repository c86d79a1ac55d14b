from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from bunri_shared.auth.permissions import require_owned, require_principal
from bunri_shared.errors import BunriError, ErrorCode, bad_input
from waste.events import ProgressEvent
from waste.models import Analysis
from waste.stages import public_stage
from waste.types import AnalysisProgressEvent, AnalysisStatus, Info

# With no event for this long, Postgres (the source of truth) is asked directly: an
# event lost in Redis cannot leave a subscriber waiting forever.
RECHECK_SECONDS = 10.0


@strawberry.type(description="Live updates, over WebSocket (graphql-transport-ws) or SSE.")
class Subscription:
    @strawberry.subscription(
        description="Owner only. The current state first, then each stage, then completion."
    )
    async def analysis_progress(
        self,
        info: Info,
        analysis_id: Annotated[
            strawberry.ID, strawberry.argument(description="The id analyzeWaste returned.")
        ],
    ) -> AsyncGenerator[AnalysisProgressEvent, None]:
        context = info.context
        principal = require_principal(context)
        # A stream must not outlive the token it was opened with.
        token_expires = float(principal.claims["exp"])
        try:
            key = uuid.UUID(analysis_id)
        except ValueError:
            raise bad_input("analysisId is not an analysis id", field="analysisId") from None
        # Listen BEFORE reading the state: nothing published in between is missed.
        async with context.progress_hub.listen(str(key)) as events:
            row = await _load(info, key)
            require_owned(context, row.user_id if row else None, what="analysis")
            assert row is not None
            last = _event_of(row)
            yield _with_row(last, row)
            while not last.terminal:
                left = token_expires - time.time()
                if left <= 0:
                    raise BunriError(
                        ErrorCode.UNAUTHENTICATED,
                        "The access token expired: subscribe again with a fresh one.",
                    )
                try:
                    event = await asyncio.wait_for(events.get(), timeout=min(RECHECK_SECONDS, left))
                except TimeoutError:
                    row = await _load(info, key)
                    assert row is not None
                    event = _event_of(row)
                    if event == last:
                        continue
                if (event.status, event.stage, event.progress) == (
                    last.status,
                    last.stage,
                    last.progress,
                ):
                    continue  # the state we just sent, seen again
                last = event
                # A fresh read per event: the event's analysis shows what is stored now.
                row = await _load(info, key)
                assert row is not None
                yield _with_row(event, row)


async def _load(info: Info, key: uuid.UUID) -> Analysis | None:
    async with info.context.sessions() as session:
        return await session.get(Analysis, key)


def _event_of(row: Analysis) -> ProgressEvent:
    return ProgressEvent(
        str(row.id), row.status, row.stage, row.progress, row.error_message, row.points_awarded
    )


def _with_row(event: ProgressEvent, row: Analysis) -> AnalysisProgressEvent:
    return AnalysisProgressEvent(
        analysis_id=strawberry.ID(event.analysis_id),
        status=AnalysisStatus(event.status),
        stage=public_stage(event.stage, event.status),
        progress=event.progress,
        points_awarded=event.points_awarded,
        row=row,
    )
