"""Accounts and sessions through the gateway: the whole life of a login (rotation and
log-in on their own: test_auth_service.py)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from devstack.testing import RunningStack, graphql, new_email, sign_up

LOG_IN = """mutation ($input: LogInInput!) {
  logIn(input: $input) { accessToken refreshToken expiresIn user { id nickname } } }"""
REFRESH = (
    """mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }"""
)
LOG_IN_BARE = "mutation ($input: LogInInput!) { logIn(input: $input) { accessToken } }"
LOG_OUT = "mutation ($t: String!) { logOut(refreshToken: $t) }"
ME = "{ me { id nickname email points settings { language notificationsEnabled } } }"
UPDATE = """mutation ($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    nickname avatarUrl settings { language notificationsEnabled } } }"""


def _code(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


def test_sign_up_log_in_profile_refresh_log_out(running: RunningStack) -> None:
    gateway = running.gateway_url
    account = sign_up(running, nickname="Jisoo")
    assert account["expiresIn"] == 900
    assert account["user"]["nickname"] == "Jisoo"
    user_id = account["user"]["id"]

    logged_in = graphql(
        gateway,
        LOG_IN,
        {"input": {"email": account["email"].upper(), "password": account["password"]}},
    )["data"]["logIn"]
    assert logged_in["user"]["id"] == user_id

    me = graphql(gateway, ME, token=logged_in["accessToken"])["data"]["me"]
    assert me == {
        "id": user_id,
        "nickname": "Jisoo",
        "email": account["email"],
        "points": 0,
        "settings": {"language": "KO", "notificationsEnabled": True},
    }

    changes = {
        "nickname": "지수",
        "avatarUrl": "https://cdn.example.com/a.png",
        "language": "EN",
        "notificationsEnabled": False,
    }
    updated = graphql(gateway, UPDATE, {"input": changes}, token=logged_in["accessToken"])
    assert updated["data"]["updateProfile"] == {
        "nickname": "지수",
        "avatarUrl": "https://cdn.example.com/a.png",
        "settings": {"language": "EN", "notificationsEnabled": False},
    }

    rotated = graphql(gateway, REFRESH, {"t": logged_in["refreshToken"]})["data"]["refreshSession"]
    assert rotated["refreshToken"] != logged_in["refreshToken"]
    assert graphql(gateway, ME, token=rotated["accessToken"])["data"]["me"]["nickname"] == "지수"

    assert graphql(gateway, LOG_OUT, {"t": rotated["refreshToken"]})["data"]["logOut"] is True
    assert (
        _code(graphql(gateway, REFRESH, {"t": rotated["refreshToken"]})) == "INVALID_REFRESH_TOKEN"
    )
    # The session of the first sign-up is a separate family and still works.
    assert graphql(gateway, REFRESH, {"t": account["refreshToken"]})["data"]["refreshSession"]


def test_a_refresh_repeated_within_the_grace_window_gets_the_same_pair(
    running: RunningStack,
) -> None:
    gateway = running.gateway_url
    token = sign_up(running)["refreshToken"]
    # Two refreshes at once (two tabs, a retry racing the original): both succeed.
    with ThreadPoolExecutor(max_workers=2) as pool:
        bodies = list(pool.map(lambda _: graphql(gateway, REFRESH, {"t": token}), range(2)))
    pairs = [body["data"]["refreshSession"] for body in bodies]
    assert pairs[0] == pairs[1], bodies  # the same new pair, access token included
    # Presented again a moment later (the answer got lost): the same pair once more.
    again = graphql(gateway, REFRESH, {"t": token})["data"]["refreshSession"]
    assert again == pairs[0]
    assert graphql(gateway, ME, token=again["accessToken"])["data"]["me"]["id"]
    # The new refresh token works, and once it has been used the old one is a theft signal
    # even inside the window: the family dies.
    newer = graphql(gateway, REFRESH, {"t": again["refreshToken"]})["data"]["refreshSession"]
    assert _code(graphql(gateway, REFRESH, {"t": token})) == "INVALID_REFRESH_TOKEN"
    assert _code(graphql(gateway, REFRESH, {"t": newer["refreshToken"]})) == (
        "INVALID_REFRESH_TOKEN"
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        # One of each kind reaching the client; every rule: test_auth_service.py.
        ({"email": "not-an-email"}, "BAD_USER_INPUT"),
        ({"password": "password1234"}, "WEAK_PASSWORD"),
        ({"nickname": "<script>"}, "BAD_USER_INPUT"),
    ],
)
def test_sign_up_input_is_checked(running: RunningStack, changes: dict, code: str) -> None:
    credentials = {
        "email": new_email(),
        "password": "correct horse battery staple 42",
        "nickname": "tester",
        **changes,
    }
    body = graphql(
        running.gateway_url,
        "mutation ($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
        {"i": credentials},
    )
    assert _code(body) == code
    # Nothing was created: the same email can still sign up properly.
    if "email" not in changes:
        assert sign_up(running, email=credentials["email"])["accessToken"]


def test_emails_are_unique_whatever_their_case(running: RunningStack) -> None:
    account = sign_up(running)
    body = graphql(
        running.gateway_url,
        "mutation ($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
        {
            "i": {
                "email": "  " + account["email"].upper(),
                "password": "another long passphrase 9",
                "nickname": "dup",
            }
        },
    )
    assert _code(body) == "EMAIL_TAKEN"


def test_wrong_passwords_from_one_address_wait_longer_and_longer(running: RunningStack) -> None:
    account = sign_up(running)
    headers = {**running.subgraph_headers, "x-forwarded-for": "198.51.100.31"}

    def log_in(password: str) -> dict:
        # As the gateway forwards a client at that address (a test of its own address).
        variables = {"input": {"email": account["email"], "password": password}}
        return graphql(running.subgraph_url("auth"), LOG_IN_BARE, variables, headers=headers)

    def at_once(count: int) -> list[dict]:
        # Parallel, so no wait can run out between them (the machine may be slow).
        with ThreadPoolExecutor(max_workers=count) as pool:
            bodies = pool.map(lambda _: log_in("not the password 1"), range(count))
        return sorted((body["errors"][0]["extensions"] for body in bodies), key=str)

    first = at_once(4)
    # The test stack's 3 free failures per pair, then a wait of 1 s.
    assert [e["code"] for e in first] == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED"]
    assert first[-1]["retryAfter"] == 1
    waits = []
    for pause in (1.1, 2.1, 4.1):  # just past each wait
        time.sleep(pause)
        tried, limited = at_once(2)
        assert (tried["code"], limited["code"]) == ("INVALID_CREDENTIALS", "RATE_LIMITED")
        waits.append(limited["retryAfter"])
    # 2 s, then the test stack's cap (4 s): each failure doubles the next wait.
    assert waits == [2, 4, 4]
    assert _code(log_in(account["password"])) == "RATE_LIMITED"  # even the right one, for now
    time.sleep(4.1)
    assert log_in(account["password"])["data"]["logIn"]["accessToken"]


def test_failures_from_one_address_are_limited_across_accounts(running: RunningStack) -> None:
    headers = {**running.subgraph_headers, "x-forwarded-for": "198.51.100.77"}

    def guess(_: int) -> str:
        body = graphql(
            running.subgraph_url("auth"),
            LOG_IN_BARE,
            {"input": {"email": new_email(), "password": "guess guess guess 1"}},
            headers=headers,
        )
        return _code(body)

    with ThreadPoolExecutor(max_workers=10) as pool:  # at once: no wait runs out meanwhile
        codes = sorted(pool.map(guess, range(10)))
    # The test stack allows 8 free failures per address (see devstack.testing.TEST_SETTINGS).
    assert codes == ["INVALID_CREDENTIALS"] * 8 + ["RATE_LIMITED"] * 2
