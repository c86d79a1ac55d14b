"""An auth outage does not spread: other subgraphs keep verifying tokens with the keys
they have (stale-if-error), and no request waits on the unreachable auth service."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

from devstack.testing import TEST_SETTINGS, RunningStack, graphql, sign_up

ME = "{ me { id nickname } }"


@contextmanager
def _auth_frozen(running: RunningStack) -> Iterator[None]:
    """The auth process stops answering (SIGSTOP): connections hang rather than fail fast,
    the worst case for a verifier that would wait on it."""
    pid = running.processes["auth"].popen.pid
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


def test_token_checks_elsewhere_outlive_an_auth_outage(running: RunningStack) -> None:
    account = sign_up(running)
    token = account["accessToken"]
    assert graphql(running.gateway_url, ME, token=token)["data"]["me"]["id"]
    ttl = float(TEST_SETTINGS["BUNRI_JWKS_TTL_SECONDS"])
    with _auth_frozen(running):
        # Its last good fetch was before the freeze: once past the TTL, the users
        # subgraph's keys are stale (a fetch now would hang).
        time.sleep(ttl * 1.5)
        for _ in range(5):
            started = time.monotonic()
            body = graphql(running.gateway_url, ME, token=token)
            took = time.monotonic() - started
            assert body.get("data", {}).get("me", {}).get("id") == account["user"]["id"], body
            # Not blocked behind the (hanging) JWKS fetch, which times out after 5 s.
            assert took < 2.0, took
            time.sleep(0.5)
        # Forged tokens are still refused meanwhile.
        forged = graphql(running.gateway_url, ME, token=token[:-4] + "AAAA")
        assert forged["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Auth is back: everything as before.
    assert graphql(running.gateway_url, ME, token=token)["data"]["me"]["id"]
