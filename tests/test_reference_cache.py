"""Reference data is cached (recycling's catalogue in memory, the gateway's response cache)
and every cache lets go when a seeder or importer changes the data."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable

import httpx
import psycopg

from devstack.testing import RunningStack, graphql, sign_up
from recycling.seed import seed

PAPER = '{ wasteCategory(code: "PAPER") { code name(language: EN) } }'
NEAR = """query ($lat: Float!) {
  dropOffPointsNear(latitude: $lat, longitude: 126.978, radiusMeters: 50000, first: 3) {
    distanceMeters point { id name acceptedCategories { code name(language: EN) } } } }"""


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


def test_the_gateway_answers_a_repeated_public_query_from_its_cache(
    running: RunningStack,
) -> None:
    variables = {"lat": 37.5665}
    first = graphql(running.gateway_url, NEAR, variables)
    assert "errors" not in first and len(first["data"]["dropOffPointsNear"]) == 3, first
    before = running.statements("locations")
    # With or without a token, the same public answer, and locations is not asked again.
    # (A cached answer skips planning and pricing: no development `extensions.cost`.)
    token = sign_up(running)["accessToken"]
    assert graphql(running.gateway_url, NEAR, variables)["data"] == first["data"]
    assert graphql(running.gateway_url, NEAR, variables, token=token)["data"] == first["data"]
    assert running.statements("locations") == before
    # Other arguments are another question.
    other = graphql(running.gateway_url, NEAR, {"lat": 37.4})
    assert "errors" not in other and other != first
    assert running.statements("locations") > before


def test_an_answer_with_private_data_is_never_cached(running: RunningStack) -> None:
    query = "{ me { id email } wasteCategories { code } }"
    alice, bob = sign_up(running), sign_up(running)
    for account in (alice, bob, alice):
        body = graphql(running.gateway_url, query, token=account["accessToken"])
        assert body["data"]["me"]["id"] == account["user"]["id"], body
    assert graphql(running.gateway_url, query)["data"]["me"] is None


def test_an_import_is_served_within_seconds(running: RunningStack) -> None:
    variables = {"lat": 37.5665}
    point = graphql(running.gateway_url, NEAR, variables)["data"]["dropOffPointsNear"][0]["point"]

    def first_name() -> str:
        body = graphql(running.gateway_url, NEAR, variables)
        return body["data"]["dropOffPointsNear"][0]["point"]["name"]

    with psycopg.connect(running.role_url("locations")) as connection:
        # What the importer does when a site is renamed: the row and the version, one commit.
        for name in (f"{point['name']} (renamed)", point["name"]):
            with connection.transaction():
                connection.execute(
                    "UPDATE locations.drop_off_points SET name = %s WHERE id = %s",
                    (name, point["id"]),
                )
                connection.execute("UPDATE locations.data_version SET version = version + 1")
            _eventually(lambda name=name: first_name() == name)


def test_a_subgraph_answers_a_repeated_question_without_running_it(
    running: RunningStack,
) -> None:
    """What an Apollo Router without GraphOS's entity cache relies on."""
    variables = {"lat": 37.51}
    near = NEAR.replace(" name(language: EN)", "")  # locations' own fields only
    first = running.query_subgraph("locations", near, variables)
    assert "errors" not in first, first
    before = running.statements("locations")
    assert running.query_subgraph("locations", near, variables) == first
    assert running.statements("locations") == before
    # An error is never kept: the same bad question is asked again, and refused again.
    bad = "{ dropOffPointsNear(latitude: 91, longitude: 126.9) { distanceMeters } }"
    for _ in range(2):
        [error] = running.query_subgraph("locations", bad)["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def _replays(running: RunningStack) -> float:
    text = httpx.get(running.gateway_url.removesuffix("/graphql") + "/metrics").text
    found = re.search(r"^bunri_gateway_response_cache_replays_total (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_repeated_public_request_is_replayed_with_its_own_headers(
    running: RunningStack,
) -> None:
    # A body nobody sent before (the comment is part of it), from a browser origin.
    body = json.dumps({"query": f"# {uuid.uuid4()}\n{PAPER}"})
    headers = {"Content-Type": "application/json", "Origin": "http://localhost:5173"}
    before = _replays(running)
    answers = [httpx.post(running.gateway_url, content=body, headers=headers) for _ in range(3)]
    first, *repeats = answers
    assert first.json()["data"] == {"wasteCategory": {"code": "PAPER", "name": "Paper"}}
    assert _replays(running) == before + 2  # the first was computed, the others replayed
    for answer in repeats:
        assert answer.status_code == 200 and answer.content == first.content
        for name in ("content-type", "etag", "access-control-allow-origin"):
            assert answer.headers[name] == first.headers[name], name
    # Every answer has its own request id, replayed or not.
    assert len({answer.headers["x-request-id"] for answer in answers}) == 3
    # Another Accept is another answer (its content type), first computed, then replayed.
    strict = {**headers, "Accept": "application/graphql-response+json"}
    for _ in range(2):
        answer = httpx.post(running.gateway_url, content=body, headers=strict)
        assert answer.headers["content-type"].startswith("application/graphql-response+json")
        assert answer.json() == first.json()
    assert _replays(running) == before + 3


def test_a_large_request_body_is_answered_but_never_replayed(running: RunningStack) -> None:
    # Over the replay's 64 KiB key limit, under the gateway's 2 MB body limit.
    body = json.dumps({"query": PAPER + " " * 70_000})
    before = _replays(running)
    for _ in range(2):
        answer = httpx.post(
            running.gateway_url, content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.json()["data"]["wasteCategory"]["name"] == "Paper"
    assert _replays(running) == before
