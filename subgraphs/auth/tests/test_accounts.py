"""Accounts and sessions through the gateway: the whole life of a login."""

from __future__ import annotations

import time

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


def test_reusing_a_rotated_refresh_token_revokes_its_family(running: RunningStack) -> None:
    gateway = running.gateway_url
    account = sign_up(running)
    first = account["refreshToken"]
    second = graphql(gateway, REFRESH, {"t": first})["data"]["refreshSession"]["refreshToken"]
    # An attacker replays the used token: refused, and the family is revoked ...
    assert _code(graphql(gateway, REFRESH, {"t": first})) == "INVALID_REFRESH_TOKEN"
    # ... so the legitimate, unused newer token is dead too.
    assert _code(graphql(gateway, REFRESH, {"t": second})) == "INVALID_REFRESH_TOKEN"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"email": "not-an-email"}, "BAD_USER_INPUT"),
        ({"password": "short"}, "WEAK_PASSWORD"),
        ({"password": "password1234"}, "WEAK_PASSWORD"),
        ({"password": "qwertyuiop12"}, "WEAK_PASSWORD"),
        ({"nickname": "x"}, "BAD_USER_INPUT"),
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


def test_unknown_email_and_wrong_password_look_the_same(running: RunningStack) -> None:
    account = sign_up(running)
    answers = []
    for email, password in (
        (new_email(), "whatever passphrase 1"),
        (account["email"], "wrong passphrase 1"),
    ):
        start = time.perf_counter()
        body = graphql(
            running.gateway_url, LOG_IN, {"input": {"email": email, "password": password}}
        )
        answers.append((body["errors"][0]["message"], _code(body), time.perf_counter() - start))
    (m1, c1, _), (m2, c2, _) = answers
    assert (m1, c1) == (m2, c2) == ("Email or password is wrong.", "INVALID_CREDENTIALS")


def test_wrong_passwords_from_one_address_wait_longer_and_longer(running: RunningStack) -> None:
    account = sign_up(running)
    headers = {**running.subgraph_headers, "x-forwarded-for": "198.51.100.31"}

    def log_in(password: str) -> dict:
        # As the gateway forwards a client at that address (a test of its own address).
        variables = {"input": {"email": account["email"], "password": password}}
        return graphql(running.subgraph_url("auth"), LOG_IN_BARE, variables, headers=headers)

    codes = [_code(log_in("not the password 1")) for _ in range(3)]
    assert codes == ["INVALID_CREDENTIALS"] * 3  # the test stack's free failures per pair
    limited = log_in(account["password"])  # even the right one, for now
    assert _code(limited) == "RATE_LIMITED"
    assert limited["errors"][0]["extensions"]["retryAfter"] == 1
    waits = []
    for pause in (1.1, 2.1, 4.1):  # just past each wait
        time.sleep(pause)
        assert _code(log_in("not the password 1")) == "INVALID_CREDENTIALS"
        waits.append(log_in("not the password 1")["errors"][0]["extensions"])
    # 2 s, then the test stack's cap (4 s): each failure doubles the next wait.
    assert [w["code"] for w in waits] == ["RATE_LIMITED"] * 3
    assert [w["retryAfter"] for w in waits] == [2, 4, 4]
    time.sleep(4.1)
    assert log_in(account["password"])["data"]["logIn"]["accessToken"]


def test_failures_from_one_address_are_limited_across_accounts(running: RunningStack) -> None:
    headers = {**running.subgraph_headers, "x-forwarded-for": "198.51.100.77"}
    codes = []
    for _ in range(10):
        body = graphql(
            running.subgraph_url("auth"),
            LOG_IN.replace("user { id nickname }", ""),
            {"input": {"email": new_email(), "password": "guess guess guess 1"}},
            headers=headers,
        )
        codes.append(_code(body))
    # The test stack allows 8 free failures per address (see devstack.testing.TEST_SETTINGS).
    assert codes[:8] == ["INVALID_CREDENTIALS"] * 8
    assert codes[8:] == ["RATE_LIMITED"] * 2
