"""The typed GraphQL context every subgraph extends with its own loaders."""

from __future__ import annotations

from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from bunri_shared.resources import Resources


class RequestContext(BaseContext):
    """One per HTTP request, and one per WebSocket connection (not per event)."""

    def __init__(self, *, resources: Resources, connection: HTTPConnection) -> None:
        super().__init__()
        self.resources = resources
        self.connection = connection

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.resources.sessions

    @classmethod
    async def build(cls, connection: HTTPConnection) -> Self:
        return cls(resources=connection.app.state.resources, connection=connection)
