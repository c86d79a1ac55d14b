"""The federation schema every subgraph builds, with Bunri's standard extensions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from graphql.error import GraphQLError
from pydantic_settings import BaseSettings, SettingsConfigDict
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext, ExecutionResult

from bunri_shared import outages
from bunri_shared.errors import BunriError, ErrorCode
from bunri_shared.operation_guards import CostLimiter, InputGuard, max_aliases_rule
from bunri_shared.telemetry.extensions import telemetry_extensions

# @theguild/federation-composition 0.27 rejects Strawberry's default (2.11); every
# subgraph must declare the same version.
FEDERATION_VERSION = "2.9"


class GraphQLLimits(BaseSettings):
    """Per-operation limits; read at import so `strawberry export-schema` needs no database."""

    model_config = SettingsConfigDict(env_prefix="BUNRI_GRAPHQL_", extra="ignore")

    max_depth: int = 12
    max_tokens: int = 3000
    max_aliases: int = 20
    cache_size: int = 1000
    # The estimated cost one fetch may have (bunri_shared.cost; the gateway's budget for a
    # whole operation is the same by default).
    max_cost: int = 20_000
    # No argument of this API needs more; specific arguments have tighter limits.
    max_string_length: int = 10_000
    # An operation still running after this is stopped (the gateway gives up at 15 s).
    deadline_seconds: float = 10.0


class ContractErrors(MaskErrors):
    """Every error leaves with a stable `extensions.code`; unexpected ones leave masked.

    BunriError: shown as raised. Errors with no original exception come from parsing,
    validation or variable coercion: their message is safe and useful. Anything else is a
    bug: logged here with its traceback, sent as INTERNAL with a generic message.
    """

    def __init__(self) -> None:
        super().__init__(error_message="Internal server error.")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._to_contract(error) for error in errors]

    def _to_contract(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, BunriError):
            return error
        if original is None:
            if error.extensions and "code" in error.extensions:
                return error
            code = (
                ErrorCode.BAD_USER_INPUT
                if error.message.startswith("Variable ")
                else ErrorCode.GRAPHQL_VALIDATION_FAILED
            )
            return _with_code(error, error.message, code)
        # Issue 11: a dependency outage is SERVICE_UNAVAILABLE (retryable), not a bug.
        if (unavailable := outages.as_contract_error(error)) is not None:
            return unavailable
        # Logged with its traceback by BunriSchema.process_errors, before this mask.
        return _with_code(error, self.error_message, ErrorCode.INTERNAL)


def _with_code(error: GraphQLError, message: str, code: ErrorCode) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code.value},
    )


class BunriSchema(strawberry.federation.Schema):
    """Logs only what is a bug: errors meant for clients (BunriError, invalid queries) are
    answers, not incidents, and logging them at ERROR would bury the real ones.

    Every query and mutation runs under a deadline: past it, its resolvers are cancelled
    (their sessions roll back, their connections return to the pool) and the client gets
    OPERATION_TIMEOUT. Subscriptions are long-lived by design and have none.
    """

    def __init__(self, *args: Any, deadline_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline_seconds = deadline_seconds

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        deadline = asyncio.timeout(self.deadline_seconds)
        try:
            async with deadline:
                return await super().execute(*args, **kwargs)
        except TimeoutError:
            if not deadline.expired():
                raise
        error = GraphQLError(
            f"The operation ran longer than {self.deadline_seconds:g} s and was stopped.",
            extensions={"code": ErrorCode.OPERATION_TIMEOUT.value},
        )
        return ExecutionResult(data=None, errors=[error])

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [
            error
            for error in errors
            if error.original_error is not None
            and not isinstance(error.original_error, BunriError)
            # Issue 11: outages are logged as one line by outages.as_contract_error.
            and not outages.is_outage(error.original_error)
        ]
        super().process_errors(unexpected, execution_context)


def standard_extensions(limits: GraphQLLimits) -> list[Callable[[], SchemaExtension]]:
    """Factories, not instances: Strawberry makes one extension per operation, and an
    extension keeps that operation's state. What can be shared is built once here: the
    depth and alias rules are classes made by their limiters, and the validation cache is
    keyed by them, so new classes per operation would make every lookup a miss."""
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        max_aliases_rule(limits.max_aliases),
    ]
    return [
        *telemetry_extensions(),  # first: entered first, left last (times it all)
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        # Both caches live at module level in Strawberry, shared across operations.
        lambda: ParserCache(maxsize=limits.cache_size),
        lambda: ValidationCache(maxsize=limits.cache_size),
        lambda: InputGuard(max_string_length=limits.max_string_length),
        lambda: CostLimiter(max_cost=limits.max_cost),
        ContractErrors,
    ]


def federation_schema(
    *,
    query: type | None,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
    limits: GraphQLLimits | None = None,
    **kwargs: Any,
) -> BunriSchema:
    limits = limits or GraphQLLimits()
    return BunriSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=standard_extensions(limits),
        deadline_seconds=limits.deadline_seconds,
        federation_version=FEDERATION_VERSION,
        **kwargs,
    )
