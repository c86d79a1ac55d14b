"""Every AuthPayload field through the gateway: the new session's user is seen by its owner.

The signing-in request carries no token, yet the payload's user shows its own email,
settings and points (the users subgraph resolves it from the payload's verified access
token), and nothing the caller may not see can cost them the tokens.
"""

from __future__ import annotations

import time
import uuid

from dramatiq.brokers.redis import RedisBroker

from bunri_shared.messaging import message
from devstack.testing import RunningStack, graphql, new_email
from users.contract import AWARD_POINTS

PASSWORD = "correct horse battery staple 42"
USER = """user { id nickname email avatarUrl points createdAt
                 settings { language notificationsEnabled } }"""
SIGN_UP = f"""mutation ($input: SignUpInput!) {{
  signUp(input: $input) {{ accessToken refreshToken expiresIn {USER} }} }}"""
LOG_IN = f"""mutation ($input: LogInInput!) {{
  logIn(input: $input) {{ accessToken refreshToken expiresIn {USER} }} }}"""
REFRESH = f"""mutation ($t: String!) {{
  refreshSession(refreshToken: $t) {{ accessToken refreshToken expiresIn {USER} }} }}"""
# The issue's own example, verbatim.
ISSUE_EXAMPLE = """mutation ($input: SignUpInput!) {
  signUp(input: $input) { accessToken user { email settings { language } points } } }"""


def _owner_view(payload: dict, *, email: str, nickname: str, points: int) -> None:
    assert payload["accessToken"].count(".") == 2  # a JWT
    assert payload["refreshToken"] and payload["expiresIn"] == 900
    user = payload["user"]
    assert uuid.UUID(user["id"])
    assert (user["nickname"], user["email"], user["avatarUrl"]) == (nickname, email, None)
    assert user["points"] == points
    assert user["createdAt"]
    assert user["settings"] == {"language": "KO", "notificationsEnabled": True}


def _wait_for_points(running: RunningStack, token: str, points: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        me = graphql(running.gateway_url, "{ me { points } }", token=token)["data"]["me"]
        if me["points"] == points:
            return
        time.sleep(0.1)
    raise AssertionError(f"points never reached {points}")


def test_the_issue_example_returns_the_token_and_own_values(running: RunningStack) -> None:
    email = new_email()
    body = graphql(
        running.gateway_url,
        ISSUE_EXAMPLE,
        {"input": {"email": email, "password": PASSWORD, "nickname": "분리"}},
    )
    assert "errors" not in body, body
    payload = body["data"]["signUp"]
    assert payload["accessToken"]
    assert payload["user"] == {"email": email, "settings": {"language": "KO"}, "points": 0}


def test_every_auth_payload_field_of_sign_up_log_in_and_refresh(running: RunningStack) -> None:
    email, nickname = new_email(), "지구지킴이"
    signed_up = graphql(
        running.gateway_url,
        SIGN_UP,
        {"input": {"email": email, "password": PASSWORD, "nickname": nickname}},
    )
    assert "errors" not in signed_up, signed_up
    _owner_view(signed_up["data"]["signUp"], email=email, nickname=nickname, points=0)
    user_id = signed_up["data"]["signUp"]["user"]["id"]

    # Points earned since show up in the next sign-in's payload (awarded once the users
    # worker has stored the profile; until then `me` is provisional, without the email).
    token = signed_up["data"]["signUp"]["accessToken"]
    deadline = time.monotonic() + 15
    while (
        graphql(running.gateway_url, "{ me { email } }", token=token)["data"]["me"]["email"] is None
    ):
        assert time.monotonic() < deadline, "the profile was never stored"
        time.sleep(0.1)
    broker = RedisBroker(url=running.stack.servers.redis_url)
    broker.enqueue(
        message(
            AWARD_POINTS,
            user_id=user_id,
            source="waste.analysis",
            source_id=str(uuid.uuid4()),
            points=10,
        )
    )
    _wait_for_points(running, signed_up["data"]["signUp"]["accessToken"], 10)

    logged_in = graphql(
        running.gateway_url, LOG_IN, {"input": {"email": email, "password": PASSWORD}}
    )
    assert "errors" not in logged_in, logged_in
    _owner_view(logged_in["data"]["logIn"], email=email, nickname=nickname, points=10)
    assert logged_in["data"]["logIn"]["user"]["id"] == user_id

    refreshed = graphql(
        running.gateway_url, REFRESH, {"t": logged_in["data"]["logIn"]["refreshToken"]}
    )
    assert "errors" not in refreshed, refreshed
    _owner_view(refreshed["data"]["refreshSession"], email=email, nickname=nickname, points=10)


def test_a_field_the_caller_may_not_see_never_nulls_the_tokens(running: RunningStack) -> None:
    """`analyses` (waste) needs the Authorization header: without it the user is null and
    the error says why, but the tokens arrive and the account works."""
    email = new_email()
    body = graphql(
        running.gateway_url,
        """mutation ($input: SignUpInput!) {
          signUp(input: $input) {
            accessToken refreshToken user { id analyses { edges { cursor } } } } }""",
        {"input": {"email": email, "password": PASSWORD, "nickname": "토큰"}},
    )
    payload = body["data"]["signUp"]
    assert payload["accessToken"] and payload["refreshToken"]
    assert payload["user"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The same question with the new token answers in full (once the users worker has
    # stored the profile: until then `me` is provisional, without the email).
    deadline = time.monotonic() + 10
    while True:
        me = graphql(
            running.gateway_url,
            "{ me { email analyses { edges { cursor } } } }",
            token=payload["accessToken"],
        )
        assert "errors" not in me, me
        if me["data"]["me"]["email"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert me["data"] == {"me": {"email": email, "analyses": {"edges": []}}}
