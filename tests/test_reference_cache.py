"""Reference data is cached (recycling's catalogue in memory, the gateway's response cache)
and every cache lets go when a seeder or importer changes the data."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from devstack.testing import RunningStack, graphql
from recycling.seed import seed

PAPER = '{ wasteCategory(code: "PAPER") { code name(language: EN) } }'


def _eventually(check: Callable[[], bool], *, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "the change was not seen in time"
        time.sleep(0.2)


def _name(running: RunningStack) -> str:
    body = graphql(running.gateway_url, PAPER)
    assert "errors" not in body, body
    return body["data"]["wasteCategory"]["name"]


def test_a_changed_taxonomy_is_served_within_seconds(running: RunningStack) -> None:
    assert _name(running) == "Paper"
    assert _name(running) == "Paper"  # now from the caches
    url = running.role_url("recycling")
    try:
        # What a seeder with a new taxonomy does: change the rows, bump the version, commit.
        with psycopg.connect(url) as connection:
            connection.execute(
                "UPDATE recycling.categories SET name_en = 'Paper and cardboard'"
                " WHERE code = 'PAPER'"
            )
            connection.execute("UPDATE recycling.data_version SET version = version + 1")
        _eventually(lambda: _name(running) == "Paper and cardboard")
    finally:
        seed(url)  # the real seeder restores the taxonomy, and bumps the version itself
    _eventually(lambda: _name(running) == "Paper")


def test_an_uncommitted_change_is_never_cached(running: RunningStack) -> None:
    url = running.role_url("recycling")
    with psycopg.connect(url) as connection:
        connection.execute(
            "UPDATE recycling.categories SET name_en = 'Not yet' WHERE code = 'PAPER'"
        )
        connection.execute("UPDATE recycling.data_version SET version = version + 1")
        time.sleep(2.5)  # two polls of the data version while the transaction is open
        assert _name(running) == "Paper"
        connection.rollback()
    assert _name(running) == "Paper"
