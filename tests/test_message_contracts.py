"""Senders' copies of message contracts agree with the consumers' own (tests may import both).

A domain publishes the messages it consumes in `<name>/contract.py`; a domain that sends
to another keeps a copy in its `<name>/outgoing.py`, since a subgraph never imports another.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest

from bunri_shared.messaging import Payload, Route
from devstack.subgraphs import load_subgraphs

SUBGRAPHS = [s.name for s in load_subgraphs()]


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        return None


def _routes(module: ModuleType | None) -> list[Route]:
    return [value for value in vars(module).values() if isinstance(value, Route)] if module else []


def _fields(payload: type[Payload]) -> dict[str, tuple[Any, bool, Any]]:
    return {
        name: (
            field.annotation,
            field.is_required(),
            None if field.is_required() else field.default,
        )
        for name, field in payload.model_fields.items()
    }


SENT = [(name, route) for name in SUBGRAPHS for route in _routes(_module(f"{name}.outgoing"))]


def test_some_domain_sends_to_another() -> None:
    assert {route.actor for _, route in SENT} >= {"create_profile", "award_points"}


@pytest.mark.parametrize(("sender", "copy"), SENT, ids=[f"{s}->{r.actor}" for s, r in SENT])
def test_a_senders_copy_matches_the_consumers_contract(sender: str, copy: Route) -> None:
    assert copy.queue in SUBGRAPHS and copy.queue != sender, "send to another domain's queue"
    published = {route.actor: route for route in _routes(_module(f"{copy.queue}.contract"))}
    assert copy.actor in published, f"{copy.queue}/contract.py publishes no {copy.actor}"
    original = published[copy.actor]
    assert copy.queue == original.queue
    assert _fields(copy.payload) == _fields(original.payload)


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_a_contract_names_only_its_own_queue(name: str) -> None:
    assert {route.queue for route in _routes(_module(f"{name}.contract"))} <= {name}
