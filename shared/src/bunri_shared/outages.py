"""Dependency outages (Postgres, Redis unreachable) as a stable, retryable answer.

A request that fails because a dependency is away is not a bug: the client gets
`SERVICE_UNAVAILABLE` with `extensions.retryAfter` (seconds) and the log gets one WARNING
line, not an ERROR with a traceback per request. `/ready` reports the same outage, so a
load balancer stops sending traffic meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
import redis.exceptions
import sqlalchemy.exc
from dramatiq.errors import BrokerConnectionError
from graphql.error import GraphQLError

from bunri_shared.errors import BunriError, ErrorCode

log = logging.getLogger(__name__)
# What a client should wait before retrying; dependencies usually return within seconds.
RETRY_AFTER_SECONDS = 5
MESSAGE = "A service this request needs is unavailable right now; try again shortly."

_OUTAGES: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,  # incl. refused, reset, auth-less reconnect failures
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    BrokerConnectionError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up / shutting down
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    ConnectionError,  # OSError family: refused, reset, aborted
    TimeoutError,
)


def service_unavailable(message: str = MESSAGE) -> BunriError:
    return BunriError(ErrorCode.SERVICE_UNAVAILABLE, message, retryAfter=RETRY_AFTER_SECONDS)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_outage(error: BaseException | None) -> bool:
    """A dependency was unreachable (anywhere in the exception's cause chain)."""
    if error is None or isinstance(error, BunriError):
        return False
    for link in _chain(error):
        if isinstance(link, _OUTAGES):
            return True
        # SQLAlchemy wraps driver errors; a dropped connection says so.
        if isinstance(link, sqlalchemy.exc.DBAPIError) and link.connection_invalidated:
            return True
        # asyncio's connect to several addresses raises a plain OSError summing them up.
        if isinstance(link, OSError) and "Connect call failed" in str(link):
            return True
    return False


def as_contract_error(error: GraphQLError) -> GraphQLError | None:
    """SERVICE_UNAVAILABLE for an error caused by an outage (logged as one line); else None."""
    if not is_outage(error.original_error):
        return None
    log.warning(
        "dependency unavailable: %s", type(error.original_error).__name__,
        extra={"path": ".".join(str(p) for p in error.path or ())},
    )  # fmt: skip
    return GraphQLError(
        MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": ErrorCode.SERVICE_UNAVAILABLE.value, "retryAfter": RETRY_AFTER_SECONDS},
    )


async def deliver_after_commit(
    action: Callable[[], Awaitable[object]], *, what: str, attempts: int = 3, delay: float = 0.2
) -> bool:
    """A message or event that must follow a committed write: retried through a short
    outage; if it still cannot go, False, and the caller's durable record (the row an
    outbox scan re-sends from) makes sure it is not lost. Other errors propagate."""
    for attempt in range(attempts):
        try:
            await action()
            return True
        except Exception as error:
            if not is_outage(error):
                raise
            if attempt + 1 < attempts:
                await asyncio.sleep(delay * 2**attempt)
    log.warning("%s: not delivered now (dependency unavailable); re-sent later", what)
    return False
