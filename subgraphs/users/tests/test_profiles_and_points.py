"""Profiles and the points ledger with the real users worker (the service on its own:
test_users_service.py)."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from bunri_shared.messaging import message
from devstack.testing import RunningStack, graphql, sign_up
from users.contract import AWARD_POINTS, CREATE_PROFILE

ME = "{ me { id nickname email points } }"


def _wait_for(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _queue_drained(running: RunningStack) -> bool:
    client = redis.Redis.from_url(running.stack.servers.redis_url)
    # RedisBroker keeps a message in <queue>.msgs until a worker acknowledges it.
    return client.llen("dramatiq:users") == 0 and client.hlen("dramatiq:users.msgs") == 0


@contextmanager
def _worker_paused(running: RunningStack) -> Iterator[None]:
    pid = running.processes["users-worker"].popen.pid
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


def _profile_row(running: RunningStack, user_id: str) -> tuple | None:
    with psycopg.connect(running.role_url("users")) as conn:
        return conn.execute(
            "SELECT nickname, email FROM profiles WHERE id = %s", (user_id,)
        ).fetchone()


def test_sign_up_has_the_worker_create_the_profile(running: RunningStack) -> None:
    account = sign_up(running, nickname="재활용러")
    user_id = account["user"]["id"]
    _wait_for(lambda: _profile_row(running, user_id) is not None)
    assert _profile_row(running, user_id) == ("재활용러", account["email"])


def test_me_works_while_the_worker_is_down(running: RunningStack) -> None:
    with _worker_paused(running):
        account = sign_up(running, nickname="오프라인", stored=False)
        user_id = account["user"]["id"]
        # signUp's answer shows the profile it asked for: auth passes it in the entity.
        assert account["user"]["nickname"] == "오프라인"
        me = graphql(running.gateway_url, ME, token=account["accessToken"])["data"]["me"]
        # me answers, provisionally (the defaults), and the read writes nothing.
        assert me == {"id": user_id, "nickname": f"user-{user_id[:8]}", "email": None, "points": 0}
        assert _profile_row(running, user_id) is None
    # The worker catches up later and makes the profile sign-up asked for.
    _wait_for(lambda: _queue_drained(running))
    me_again = graphql(running.gateway_url, ME, token=account["accessToken"])["data"]["me"]
    assert me_again == {**me, "nickname": "오프라인", "email": account["email"]}


def test_other_users_do_not_see_a_profile_not_made_yet(running: RunningStack) -> None:
    viewer = sign_up(running)
    query = """query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }"""
    representations = {"r": [{"__typename": "User", "id": str(uuid.uuid4())}]}
    body = graphql(
        running.subgraph_url("users"),
        query,
        representations,
        token=viewer["accessToken"],
        headers=running.subgraph_headers,
    )
    assert body["data"]["_entities"] == [None]


def test_an_entity_id_is_found_in_any_letter_case(running: RunningStack) -> None:
    owner = sign_up(running, nickname="대문자")
    user_id = owner["user"]["id"]
    _wait_for(lambda: _profile_row(running, user_id) is not None)
    query = """query ($r: [_Any!]!) {
        _entities(representations: $r) { ... on User { id nickname } } }"""
    representations = {"r": [{"__typename": "User", "id": user_id.upper()}]}
    body = graphql(
        running.subgraph_url("users"), query, representations, headers=running.subgraph_headers
    )
    assert body["data"]["_entities"] == [{"id": user_id, "nickname": "대문자"}]


def test_update_profile_before_the_worker_stores_the_profile(running: RunningStack) -> None:
    update = """mutation ($i: UpdateProfileInput!) { updateProfile(input: $i) { id nickname } }"""
    with _worker_paused(running):
        account = sign_up(running, nickname="먼저", stored=False)
        user_id = account["user"]["id"]
        changed = graphql(
            running.gateway_url,
            update,
            {"i": {"nickname": "바꾼이름"}},
            token=account["accessToken"],
        )["data"]["updateProfile"]
        assert changed == {"id": user_id, "nickname": "바꾼이름"}
        assert _profile_row(running, user_id) == ("바꾼이름", None)
    # The late message only fills in what the early write could not know (the email):
    # the user's own change stands.
    _wait_for(lambda: _queue_drained(running))
    assert _profile_row(running, user_id) == ("바꾼이름", account["email"])


def test_a_dead_lettered_award_is_re_driven(running: RunningStack) -> None:
    broker = RedisBroker(url=running.stack.servers.redis_url)
    client = redis.Redis.from_url(running.stack.servers.redis_url)
    user_id = str(uuid.uuid4())
    award = message(
        AWARD_POINTS, user_id=user_id, source="waste.image", source_id=f"{user_id}:x", points=10
    ).copy(options={"max_retries": 0})
    # Holding the re-drive's lock keeps it from running until we let it.
    client.set("users:redrive", "held by the test", px=60_000)
    try:
        # An award for a profile that does not exist yet fails; with no retries left the
        # worker dead-letters it, as it would after its 20 retries.
        broker.enqueue(award)
        _wait_for(lambda: _dead_lettered(client, award.message_id))
        assert _points_of(running, user_id) is None
        broker.enqueue(message(CREATE_PROFILE, user_id=user_id, email=None, nickname="늦게"))
        _wait_for(lambda: _profile_row(running, user_id) is not None)
    finally:
        client.delete("users:redrive")
    # The re-drive puts the award back on the queue and it lands, once.
    _wait_for(lambda: _points_of(running, user_id) == 10)
    assert not _dead_lettered(client, award.message_id)
    time.sleep(1.5)  # later rounds find nothing more to send
    assert _points_of(running, user_id) == 10


def _dead_lettered(client: redis.Redis, message_id: str) -> bool:
    # RedisBroker files dead messages under its own per-enqueue id, not the message id.
    stored = client.hvals("dramatiq:users.XQ.msgs")
    return any(Message.decode(data).message_id == message_id for data in stored)


def _points_of(running: RunningStack, user_id: str) -> int | None:
    with psycopg.connect(running.role_url("users")) as conn:
        row = conn.execute(
            "SELECT sum(points) FROM point_awards WHERE user_id = %s", (user_id,)
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def test_others_see_nickname_and_points_but_not_email_or_settings(running: RunningStack) -> None:
    owner, other = sign_up(running, nickname="주인"), sign_up(running, nickname="손님")
    # Until the worker stores it, nobody else sees a profile at all.
    _wait_for(lambda: _profile_row(running, owner["user"]["id"]) is not None)
    query = """query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on User { nickname points email settings { language } } } }"""
    representations = {"r": [{"__typename": "User", "id": owner["user"]["id"]}]}
    as_other = graphql(
        running.subgraph_url("users"),
        query,
        representations,
        token=other["accessToken"],
        headers=running.subgraph_headers,
    )
    assert as_other["data"]["_entities"] == [None]  # settings is non-null: the entity nulls
    [error] = as_other["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["path"][-1] == "settings"
    without_settings = query.replace(" settings { language }", "")
    visible = graphql(
        running.subgraph_url("users"),
        without_settings,
        representations,
        token=other["accessToken"],
        headers=running.subgraph_headers,
    )["data"]["_entities"][0]
    assert visible == {"nickname": "주인", "points": 0, "email": None}


def test_update_profile_rejects_bad_input_and_changes_nothing(running: RunningStack) -> None:
    # Every check is in test_users_service.py; this one shows the answer reaching the client.
    account = sign_up(running, nickname="원본")
    _wait_for(lambda: _profile_row(running, account["user"]["id"]) is not None)
    update = """mutation ($i: UpdateProfileInput!) { updateProfile(input: $i) { nickname } }"""
    changes = {"nickname": "ok name", "avatarUrl": "http://insecure.example/a.png"}
    body = graphql(running.gateway_url, update, {"i": changes}, token=account["accessToken"])
    extensions = body["errors"][0]["extensions"]
    assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", "avatarUrl")
    me = graphql(running.gateway_url, ME, token=account["accessToken"])["data"]["me"]
    assert me["nickname"] == "원본"
    anonymous = graphql(running.gateway_url, update, {"i": {"nickname": "hacker"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
