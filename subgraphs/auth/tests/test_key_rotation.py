"""Rotating the signing key: old tokens stay valid until they expire, new ones verify too."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack.testing import RunningProcess, RunningStack, graphql, sign_up

ME = "{ me { id } }"


def _restart_auth(running: RunningStack, keys_dir: Path | None, log_dir: Path) -> None:
    current = running.processes["auth"]
    current.stop()
    env = dict(current.spec.env)
    if keys_dir is not None:
        env["BUNRI_AUTH_KEYS_DIR"] = str(keys_dir)
    else:
        env.pop("BUNRI_AUTH_KEYS_DIR", None)
    replacement = RunningProcess(dataclasses.replace(current.spec, env=env), log_dir)
    replacement.wait_healthy()
    running.processes["auth"] = replacement


def test_a_new_key_signs_while_the_old_one_still_verifies(
    running: RunningStack, tmp_path: Path
) -> None:
    before = sign_up(running)
    old_keys = running.stack.data_dir / "auth-keys"
    keys = tmp_path / "keys"
    shutil.copytree(old_keys, keys)
    newest = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (keys / "zz-rotated.pem").write_bytes(newest)  # sorts last: it signs from now on
    original_spec = running.processes["auth"].spec
    try:
        _restart_auth(running, keys, tmp_path)
        jwks = (
            __import__("httpx")
            .get(running.subgraph_url("auth").replace("/graphql", "/.well-known/jwks.json"))
            .json()
        )
        assert {k["kid"] for k in jwks["keys"]} >= {"zz-rotated", max(old_keys.glob("*.pem")).stem}
        # Issued before the rotation: still accepted by the users subgraph.
        assert graphql(running.gateway_url, ME, token=before["accessToken"])["data"]["me"]
        after = graphql(
            running.gateway_url,
            "mutation ($i: LogInInput!) { logIn(input: $i) { accessToken } }",
            {"i": {"email": before["email"], "password": before["password"]}},
        )["data"]["logIn"]["accessToken"]
        header = jwt.get_unverified_header(after)
        assert header["kid"] == "zz-rotated"
        # Signed by a key the users subgraph has not seen: it refetches the JWKS and accepts.
        assert graphql(running.gateway_url, ME, token=after)["data"]["me"]["id"]
    finally:
        _restart_auth(running, None, tmp_path)
        assert running.processes["auth"].spec.env == original_spec.env
