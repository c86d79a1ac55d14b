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
from waste.events import ProgressEvent
from waste.state import AnalysisState
from waste.types import AnalysisProgressEvent, Info


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
        async with context.progress_hub.listen(key) as listener:
            last = await _load(info, key)
            require_owned(context, last.user_id if last else None, what="analysis")
            assert last is not None
            listener.shown = ProgressEvent(last).shown
            yield AnalysisProgressEvent.of(last)
            while not last.terminal:
                left = token_expires - time.time()
                if left <= 0:
                    raise BunriError(
                        ErrorCode.UNAUTHENTICATED,
                        "The access token expired: subscribe again with a fresh one.",
                    )
                # The event carries the state as written (from Redis, or from the hub's
                # recheck of Postgres when events stop): no database read here.
                try:
                    event = await asyncio.wait_for(listener.queue.get(), timeout=left)
                except TimeoutError:
                    continue  # the token expired: said above
                if event.shown == listener.shown:
                    continue  # the state we just sent, seen again
                listener.shown = event.shown
                last = event.analysis
                yield AnalysisProgressEvent.of(last)


async def _load(info: Info, key: uuid.UUID) -> AnalysisState | None:
    async with info.context.sessions() as session:
        return await service.analysis_state(session=session, analysis_id=key)
