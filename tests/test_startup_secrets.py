"""A process refuses to start without its secrets outside dev: no fail-open deployment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BASE_ENV = {
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",  # never reached: startup fails first
    "BUNRI_UPLOAD_SIGNING_KEY": "k" * 32,
}


def _start(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BUNRI_")}
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        env={**clean, **BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_empty_gateway_secret_stops_start_up() -> None:
    # Every subgraph app is made by bunri_shared.app.create_app, which checks; one stands
    # for all (each start costs seconds of imports).
    for env in ({}, {"BUNRI_ENV": "dev"}):  # not even in dev
        done = _start("locations.main", BUNRI_GATEWAY_SECRET="", **env)
        assert done.returncode != 0
        assert "BUNRI_GATEWAY_SECRET is set but empty" in done.stderr


def test_no_gateway_secret_stops_start_up_outside_dev() -> None:
    done = _start("recycling.main")
    assert done.returncode != 0
    assert "BUNRI_GATEWAY_SECRET must be set" in done.stderr
    assert _start("recycling.main", BUNRI_ENV="dev").returncode == 0


def test_auth_without_signing_keys_stops_start_up_outside_dev(tmp_path) -> None:
    secret = {"BUNRI_GATEWAY_SECRET": "s" * 32, "BUNRI_DATA_DIR": str(tmp_path)}
    done = _start("auth.main", **secret)
    assert done.returncode != 0
    assert "BUNRI_AUTH_KEYS_DIR must name" in done.stderr
    assert not (tmp_path / "auth-keys").exists()  # no key was made up
    assert _start("auth.main", BUNRI_ENV="dev", **secret).returncode == 0
    assert list((tmp_path / "auth-keys").glob("*.pem"))


def test_the_secret_check_fails_closed() -> None:
    from bunri_shared.middleware import GatewaySecretMiddleware

    async def app(scope: object, receive: object, send: object) -> None:  # pragma: no cover
        raise AssertionError("never reached")

    with pytest.raises(ValueError, match="must not be empty"):
        GatewaySecretMiddleware(app, secret="")
