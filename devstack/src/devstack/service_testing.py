"""Pytest plugin: the fast test layer, a subgraph's service functions against a real database.

No HTTP, no processes: a test in `subgraphs/<name>/tests` asks for `session` (or
`sessions`, for code that opens its own, such as loaders) and gets a connection of that
subgraph's own role to a database where only `<name>` is migrated and seeded. Everything a
test writes is rolled back when it ends (service code that commits only releases a
savepoint), so tests may run in any order and see the reference data as seeded.

The database (`<BUNRI_TEST_DB_NAME>_service`) sits on the same servers as the full stack's
(the embedded ones, or DATABASE_URL's) and is recreated once per run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bunri_shared.db import create_engine
from devstack import database
from devstack.embedded import Servers
from devstack.paths import REPO_ROOT
from devstack.stack import DEFAULT_ROLE_PASSWORD
from devstack.subgraphs import Subgraph, load_subgraphs
from devstack.testing import TEST_DATABASE

SERVICE_DATABASE = f"{TEST_DATABASE}_service"
SUBGRAPHS_DIR = REPO_ROOT / "subgraphs"


def subgraph_of(path: Path) -> str:
    """`subgraphs/<name>/…` → name: the subgraph a test file belongs to."""
    try:
        return path.resolve().relative_to(SUBGRAPHS_DIR).parts[0]
    except ValueError:
        raise pytest.UsageError(
            f"{path}: the service fixtures serve tests under subgraphs/<name>/ only"
        ) from None


class ServiceDatabase:
    """One database per run; each subgraph's schema migrated and seeded when first asked."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self.subgraphs = {s.name: s for s in load_subgraphs()}
        self.engines: dict[str, AsyncEngine] = {}
        database.ensure_database(servers.database_url, SERVICE_DATABASE, fresh=True)

    def role_url(self, subgraph: Subgraph) -> str:
        return database.role_url(
            self.servers.database_url,
            role=subgraph.role,
            password=DEFAULT_ROLE_PASSWORD,
            database=SERVICE_DATABASE,
        )

    def engine(self, name: str) -> AsyncEngine:
        if name not in self.engines:
            subgraph = self.subgraphs[name]
            database.bootstrap(
                self.servers.database_url,
                database=SERVICE_DATABASE,
                subgraphs=[subgraph],
                password_for=lambda _: DEFAULT_ROLE_PASSWORD,
            )
            url = self.role_url(subgraph)
            database.migrate(subgraph, url)
            database.seed(subgraph, url)
            self.engines[name] = create_engine(url, schema=subgraph.db_schema, pool_size=2)
        return self.engines[name]


@pytest.fixture(scope="session")
def service_database(servers: Servers) -> Iterator[ServiceDatabase]:
    yield ServiceDatabase(servers)


@pytest.fixture(scope="session")
async def _dispose_engines(service_database: ServiceDatabase) -> AsyncIterator[None]:
    yield
    for engine in service_database.engines.values():
        await engine.dispose()


@pytest.fixture
async def db_connection(
    request: pytest.FixtureRequest, service_database: ServiceDatabase, _dispose_engines: None
) -> AsyncIterator[AsyncConnection]:
    """A connection of the test's subgraph role, inside a transaction rolled back at the end."""
    engine = service_database.engine(subgraph_of(request.path))
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
def sessions(db_connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions that all join the test's transaction (a commit releases a savepoint)."""
    return async_sessionmaker(
        bind=db_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as opened:
        yield opened


class Statements:
    """SQL statements the test's connection has sent (savepoints aside): batching, proven."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.count = 0
        event.listen(connection.sync_connection, "before_cursor_execute", self._seen)

    def _seen(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "SAVEPOINT" not in statement:  # the test's own isolation, not the code's
            self.count += 1


@pytest.fixture
def statements(db_connection: AsyncConnection) -> Statements:
    return Statements(db_connection)


@pytest.fixture
async def redis(servers: Servers) -> AsyncIterator[Redis]:
    """The test servers' Redis as its administrator; tests use keys of their own (unique
    emails, addresses), since a full-stack run may share the server."""
    client = Redis.from_url(servers.redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def execute(
    schema: strawberry.Schema,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    context: object,
) -> dict[str, Any]:
    """Run an operation through a subgraph's schema in-process; the body a client would get
    (`data`, and `errors` when there are any). `context` needs only what the resolvers read
    (e.g. `sessions` and `loaders` built on the test's `sessions`)."""
    result = await schema.execute(query, variable_values=variables, context_value=context)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return body
