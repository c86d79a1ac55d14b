"""Rotating the signing key (auth/keys.py): publish first, then sign; old tokens stay valid."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack.testing import RunningProcess, RunningStack, graphql, sign_up

ME = "{ me { id } }"
LOG_IN = "mutation ($i: LogInInput!) { logIn(input: $i) { accessToken } }"


def _restart_auth(running: RunningStack, log_dir: Path, **settings: str) -> None:
    current = running.processes["auth"]
    current.stop()
    env = {
        k: v
        for k, v in current.spec.env.items()
        if k not in ("BUNRI_AUTH_KEYS_DIR", "BUNRI_AUTH_ACTIVE_KID")
    }
    replacement = RunningProcess(
        dataclasses.replace(current.spec, env={**env, **settings}), log_dir
    )
    replacement.wait_healthy()
    running.processes["auth"] = replacement


def _log_in(running: RunningStack, account: dict) -> str:
    return graphql(
        running.gateway_url,
        LOG_IN,
        {"i": {"email": account["email"], "password": account["password"]}},
    )["data"]["logIn"]["accessToken"]


def test_a_new_key_is_published_then_signs_while_old_tokens_still_verify(
    running: RunningStack, tmp_path: Path
) -> None:
    account = sign_up(running)
    before = account["accessToken"]
    assert graphql(running.gateway_url, ME, token=before)["data"]["me"]  # users caches the JWKS
    old_keys = running.stack.data_dir / "auth-keys"
    old_kid = jwt.get_unverified_header(before)["kid"]
    keys = tmp_path / "keys"
    shutil.copytree(old_keys, keys)
    (keys / "zz-rotated.pem").write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    try:
        # Step 1: publish the new key, keep signing with the old one.
        _restart_auth(
            running, tmp_path, BUNRI_AUTH_KEYS_DIR=str(keys), BUNRI_AUTH_ACTIVE_KID=old_kid
        )
        jwks = httpx.get(
            running.subgraph_url("auth").replace("/graphql", "/.well-known/jwks.json")
        ).json()
        assert {k["kid"] for k in jwks["keys"]} >= {"zz-rotated", old_kid}
        assert jwt.get_unverified_header(_log_in(running, account))["kid"] == old_kid
        # Step 2: the new key signs.
        _restart_auth(running, tmp_path, BUNRI_AUTH_KEYS_DIR=str(keys))
        after = _log_in(running, account)
        assert jwt.get_unverified_header(after)["kid"] == "zz-rotated"
        # Issued before the rotation: still accepted.
        assert graphql(running.gateway_url, ME, token=before)["data"]["me"]
        # Signed by a key the users subgraph has not cached: once its refresh cooldown
        # (1 s in tests, 30 s by default) has passed, it refetches the JWKS and accepts.
        deadline = time.monotonic() + 10
        while (body := graphql(running.gateway_url, ME, token=after)).get("errors"):
            assert time.monotonic() < deadline, body
            time.sleep(0.1)
        assert body["data"]["me"]["id"]
    finally:
        _restart_auth(running, tmp_path)
