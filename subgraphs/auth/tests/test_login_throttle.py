"""Log-in throttling as an attacker meets it: slower and slower, never a lock-out."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from auth.config import Settings
from auth.throttle import guesses_per_hour
from devstack.paths import REPO_ROOT
from devstack.testing import TEST_SETTINGS, RunningStack, graphql, sign_up

LOG_IN = """mutation ($input: LogInInput!) {
  logIn(input: $input) { accessToken deviceToken user { id } } }"""


def _numbers(**env: str) -> Any:
    """The throttle settings, defaults overridden by BUNRI_LOGIN_* values."""
    values = {name: field.default for name, field in Settings.model_fields.items()}
    for key, value in env.items():
        name = key.removeprefix("BUNRI_").lower()
        if name.startswith("login_"):
            values[name] = type(values[name])(float(value) if "." in value else int(value))
    return SimpleNamespace(**values)


def _log_in_from(
    running: RunningStack, address: str, email: str, password: str, device: str | None = None
) -> dict[str, Any]:
    """As the gateway would forward a client at `address` (a test cannot own 50 addresses)."""
    return graphql(
        running.subgraph_url("auth"),
        LOG_IN.replace("user { id }", ""),
        {"input": {"email": email, "password": password, "deviceToken": device}},
        headers={**running.subgraph_headers, "x-forwarded-for": address},
    )


def _code(body: dict[str, Any]) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


def test_guessing_from_50_addresses_cannot_lock_the_owner_out(running: RunningStack) -> None:
    owner = sign_up(running)  # from 127.0.0.1 through the gateway: a known address
    device = owner["deviceToken"]
    assert device
    guesses = 0
    for host in range(1, 51):
        for attempt in range(2):
            body = _log_in_from(
                running, f"203.0.113.{host}", owner["email"], f"guess {host} {attempt} x"
            )
            assert _code(body) in ("INVALID_CREDENTIALS", "RATE_LIMITED"), body
            guesses += _code(body) == "INVALID_CREDENTIALS"
    bound = guesses_per_hour(_numbers(**TEST_SETTINGS), addresses=50)
    assert bound == 10  # the test stack's per-account ceiling
    assert guesses == bound
    # A stranger's address is refused now, even with the right password ...
    stranger = _log_in_from(running, "198.51.100.9", owner["email"], owner["password"])
    assert _code(stranger) == "RATE_LIMITED"
    # ... but the owner gets in from the address they signed up from (through the gateway),
    right = {"input": {"email": owner["email"], "password": owner["password"]}}
    assert graphql(running.gateway_url, LOG_IN, right)["data"]["logIn"]["accessToken"]
    # and from a new network with the device token an earlier session gave them.
    travelling = _log_in_from(running, "198.51.100.10", owner["email"], owner["password"], device)
    assert travelling["data"]["logIn"]["accessToken"], travelling
    assert travelling["data"]["logIn"]["deviceToken"] == device
    # A device token of another account proves nothing for this one.
    other = sign_up(running)
    foreign = _log_in_from(
        running, "198.51.100.11", owner["email"], owner["password"], other["deviceToken"]
    )
    assert _code(foreign) == "RATE_LIMITED"


def test_a_spoofed_forwarded_for_changes_nothing_at_the_gateway(running: RunningStack) -> None:
    account = sign_up(running)

    def guess(attempt: int) -> str | None:
        body = graphql(
            running.gateway_url,
            LOG_IN,
            {"input": {"email": account["email"], "password": f"wrong password {attempt}"}},
            headers={"X-Forwarded-For": f"192.0.2.{attempt + 1}"},
        )
        return _code(body)

    # At once, so no delay can run out in between (and no guess races past the count).
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(guess, range(6)), key=str)
    # One (account, address) pair throughout: 3 free failures, then a wait.
    assert codes == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED"] * 3


def test_the_readme_states_the_guesses_an_attacker_gets() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    defaults = _numbers()
    for addresses in (1, 1000):
        stated = re.search(rf"\| {addresses:,} address(?:es)? \| (\d+) \|", readme)
        assert stated, f"README: no row for {addresses} addresses"
        assert int(stated.group(1)) == guesses_per_hour(defaults, addresses=addresses)
