"""The waste subgraph's ASGI app: `uvicorn waste.main:app`. Also receives image uploads."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from functools import partial

from bunri_shared.app import create_app
from bunri_shared.resources import Resources
from waste import reconciler, service
from waste.components import build_storage
from waste.config import Settings
from waste.context import Context
from waste.contract import QUEUE
from waste.events import ProgressHub
from waste.schema import schema
from waste.state import AnalysisState
from waste.upload_endpoint import UploadCors, cors_origins
from waste.upload_endpoint import router as uploads

settings = Settings()
if not settings.upload_signing_key.get_secret_value():
    raise RuntimeError("BUNRI_UPLOAD_SIGNING_KEY must be set (the same on every waste replica)")


async def start(resources: Resources) -> None:
    app.state.storage = build_storage(settings)
    app.state.image_slots = asyncio.Semaphore(settings.image_decode_concurrency)
    app.state.progress_hub = ProgressHub(resources.redis, partial(_analysis_states, resources))
    app.state.reconciler = asyncio.create_task(reconciler.run_forever(resources, settings))


async def _analysis_states(
    resources: Resources, analysis_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AnalysisState]:
    """The progress hub's batched recheck reads through the service layer."""
    async with resources.sessions() as session:
        return await service.analysis_states(session=session, analysis_ids=analysis_ids)


async def stop(_resources: Resources) -> None:
    app.state.reconciler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app.state.reconciler
    await app.state.progress_hub.close()


app = create_app(
    settings=settings,
    schema=schema,
    context_class=Context,
    routers=[uploads],
    public_prefixes=("/uploads/",),
    on_startup=start,
    on_shutdown=stop,
    queues=(QUEUE,),
)
# Browsers PUT image bytes straight to /uploads/: answer their preflights (outermost).
app.add_middleware(UploadCors, origins=cors_origins(settings.cors_origins))
