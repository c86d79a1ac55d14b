"""Fixtures for the waste subgraph's own tests.

`fake_openai` is a real local HTTP server speaking the OpenAI chat-completions protocol (see
fake_openai.py). It starts once per session, needs none of the database fixtures, and is reset
(empty script, no recorded requests, no API key, no default) before every test.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fake_openai import FakeOpenAI


def _load_fake_module() -> ModuleType:
    # Loaded by path under a unique name: works whether or not pytest puts this folder on
    # sys.path (--import-mode=importlib does not).
    name = "waste_tests_fake_openai"
    if name not in sys.modules:
        path = Path(__file__).with_name("fake_openai.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses need their module registered
        spec.loader.exec_module(module)
    return sys.modules[name]


fake_openai_module = _load_fake_module()


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[FakeOpenAI]:
    with fake_openai_module.FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_openai(_fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()
