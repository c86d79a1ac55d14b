"""`make dev` is generous where production is strict, and the README says so."""

from __future__ import annotations

from auth.config import Settings as AuthSettings
from devstack.paths import REPO_ROOT
from devstack.stack import DEV_SETTINGS
from waste.config import Settings as WasteSettings


def _default(env_name: str) -> float:
    name = env_name.removeprefix("BUNRI_").lower()
    for settings in (AuthSettings, WasteSettings):
        if name in settings.model_fields:
            return float(settings.model_fields[name].default)
    raise AssertionError(f"{env_name} is no setting of auth or waste")


def test_dev_limits_are_more_generous_than_production_defaults() -> None:
    for env_name, value in DEV_SETTINGS.items():
        assert float(value) > _default(env_name), env_name


def test_the_readme_lists_the_dev_limits() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for env_name in DEV_SETTINGS:
        assert f"`{env_name}`" in readme, env_name
