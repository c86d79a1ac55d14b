"""A bounded schemathesis run over the whole public API through the gateway: whatever it
sends, no answer is a 5xx, an INTERNAL error or an error without a code."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from devstack.testing import RunningStack, sign_up

# A few hundred requests in all (~25 per root field): enough to find the input classes the
# issue-9 fuzzing found (NUL, surrogates, huge numbers), short enough for every run.
EXAMPLES_PER_FIELD = 25


@pytest.fixture(scope="module")
def gateway_schema(running: RunningStack) -> Any:
    schema = schemathesis.graphql.from_url(running.gateway_url)
    token = sign_up(running)["accessToken"]
    # Signed in, so the fuzzer reaches past the authentication checks.
    return schema.configure(headers={"Authorization": f"Bearer {token}"})


schema = schemathesis.pytest.from_fixture("gateway_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_FIELD,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_is_a_server_error(case: Any) -> None:
    response = case.call(timeout=30)
    assert response.status_code < 500, response.text
    body = response.json()
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code is not None, (case.body, error)
        assert code != "INTERNAL", (case.body, error)
