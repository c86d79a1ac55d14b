"""GraphiQL opens with the README's example operations, each valid against the public API."""

from __future__ import annotations

import json
import re
import textwrap

import httpx
from graphql import build_schema, parse, validate

from devstack.paths import API_SDL, REPO_ROOT
from devstack.testing import RunningStack

README = REPO_ROOT / "README.md"


def readme_operations() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"^( *)```graphql\n(.*?)^\1```", text, flags=re.S | re.M)
    return [textwrap.dedent(body).strip() for _, body in blocks]


def test_every_readme_operation_is_valid_against_the_api() -> None:
    schema = build_schema(API_SDL.read_text(encoding="utf-8"))
    operations = readme_operations()
    assert len(operations) >= 6
    for operation in operations:
        assert validate(schema, parse(operation)) == [], operation


def test_graphiql_opens_with_the_readme_operations_and_a_header_template(
    running: RunningStack,
) -> None:
    page = httpx.get(running.gateway_url, headers={"Accept": "text/html"})
    assert page.status_code == 200
    for operation in readme_operations():
        # The page embeds its options as JSON.
        assert json.dumps(operation, ensure_ascii=False) in page.text, operation
    assert "Bearer <accessToken from signUp or logIn>" in page.text
