from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from bunri_shared.auth.permissions import require_owned, require_principal
from bunri_shared.errors import BunriError, ErrorCode, bad_input
from waste import service
from waste.state import AnalysisState
from waste.types import AnalysisProgressEvent, Info

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
            last = await _load(info, key)
            require_owned(context, last.user_id if last else None, what="analysis")
            assert last is not None
            yield AnalysisProgressEvent.of(last)
            while not last.terminal:
                left = token_expires - time.time()
                if left <= 0:
                    raise BunriError(
                        ErrorCode.UNAUTHENTICATED,
                        "The access token expired: subscribe again with a fresh one.",
                    )
                try:
                    # The event carries the state as written: no database read per event.
                    current = (
                        await asyncio.wait_for(events.get(), timeout=min(RECHECK_SECONDS, left))
                    ).analysis
                except TimeoutError:
                    current = await _load(info, key)
                    assert current is not None
                if (current.status, current.stage, current.progress) == (
                    last.status,
                    last.stage,
                    last.progress,
                ):
                    continue  # the state we just sent, seen again
                last = current
                yield AnalysisProgressEvent.of(current)


async def _load(info: Info, key: uuid.UUID) -> AnalysisState | None:
    async with info.context.sessions() as session:
        return await service.analysis_state(session=session, analysis_id=key)
