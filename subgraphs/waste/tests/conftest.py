"""Fixtures for the waste subgraph's own tests.

`fake_openai` is a real local HTTP server speaking the OpenAI chat-completions protocol
(devstack.fake_openai). It starts once per session, needs none of the database fixtures, and
is reset (empty script, no recorded requests, no API key, no default) before every test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.fake_openai import FakeOpenAI


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_openai(_fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()
