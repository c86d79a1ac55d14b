"""A bounded schemathesis run over the whole public API through the gateway: whatever it
sends, no answer is a 5xx, an INTERNAL error or an error without a code."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from devstack.testing import RunningStack, sign_up

# A few hundred requests in all: enough to find the input classes the issue-9 fuzzing
# found (NUL, surrogates, huge numbers), short enough for every run.
EXAMPLES = 300


def test_no_input_is_a_server_error(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    schema = schemathesis.graphql.from_url(running.gateway_url)
    seen: list[str] = []

    # Signed in, so the fuzzer reaches past the authentication checks.
    @given(case=schema.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code < 500, (case.body, response.text)
        body = response.json()
        for error in body.get("errors") or ():
            code = (error.get("extensions") or {}).get("code")
            assert code is not None, (case.body, error)
            assert code != "INTERNAL", (case.body, error)
            seen.append(code)
        seen.append("ok" if body.get("data") else "no data")

    run()
    assert len(seen) >= EXAMPLES  # it did send them
