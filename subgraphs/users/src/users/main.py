"""The users subgraph's ASGI app: `uvicorn users.main:app`."""

from __future__ import annotations

import asyncio
import contextlib

from bunri_shared.app import create_app
from bunri_shared.resources import Resources
from users import redrive
from users.config import Settings
from users.context import Context
from users.contract import QUEUE
from users.schema import schema

settings = Settings()


async def start(resources: Resources) -> None:
    app.state.redrive = asyncio.create_task(redrive.run_forever(resources, settings))


async def stop(_resources: Resources) -> None:
    app.state.redrive.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app.state.redrive


app = create_app(
    settings=settings,
    schema=schema,
    context_class=Context,
    on_startup=start,
    on_shutdown=stop,
    queues=(QUEUE,),
)
