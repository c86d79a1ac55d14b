"""One settings style: a field `x_y` is read from `BUNRI_X_Y`, with two named exceptions."""

from __future__ import annotations

import importlib

import pytest

from bunri_shared.settings import ServiceSettings
from devstack.subgraphs import load_subgraphs

# The names every tool and hosting platform knows.
UNPREFIXED = {"database_url": "DATABASE_URL", "redis_url": "REDIS_URL"}


@pytest.mark.parametrize("name", [s.name for s in load_subgraphs()])
def test_every_setting_is_read_from_its_prefixed_name(name: str) -> None:
    settings: type[ServiceSettings] = importlib.import_module(f"{name}.config").Settings
    assert settings.model_config.get("env_prefix") == "BUNRI_"
    aliases = {
        field: info.validation_alias
        for field, info in settings.model_fields.items()
        if info.validation_alias is not None
    }
    assert aliases == UNPREFIXED
