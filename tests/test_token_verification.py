"""Every subgraph verifies access tokens itself: signature, algorithm, exp, iss, aud."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from devstack.subgraphs import load_subgraphs
from devstack.testing import RunningStack, graphql, sign_up

NAMES = [s.name for s in load_subgraphs()]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signing_key(running: RunningStack) -> tuple[str, Ed25519PrivateKey]:
    path = max((running.stack.data_dir / "auth-keys").glob("*.pem"))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return path.stem, key


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims = {
        "iss": "bunri-auth",
        "aud": "bunri",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
    }
    return {**claims, **changes}


def expired(running: RunningStack) -> str:
    kid, key = _signing_key(running)
    now = int(time.time())
    return jwt.encode(_claims(iat=now - 3600, exp=now - 60), key, "EdDSA", headers={"kid": kid})


def unknown_key(running: RunningStack) -> str:
    return jwt.encode(_claims(), Ed25519PrivateKey.generate(), "EdDSA", headers={"kid": "rogue"})


def alg_none(running: RunningStack) -> str:
    kid, _ = _signing_key(running)
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{_b64(json.dumps(_claims()).encode())}."


def hs256_with_public_key(running: RunningStack) -> str:
    # The classic confusion: HMAC "signed" with the (public) verification key.
    kid, key = _signing_key(running)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        + "."
        + _b64(json.dumps(_claims()).encode())
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def other_audience(running: RunningStack) -> str:
    kid, key = _signing_key(running)
    return jwt.encode(_claims(aud="another-app"), key, "EdDSA", headers={"kid": kid})


def other_issuer(running: RunningStack) -> str:
    kid, key = _signing_key(running)
    return jwt.encode(_claims(iss="someone-else"), key, "EdDSA", headers={"kid": kid})


BAD_TOKENS: dict[str, Callable[[RunningStack], str]] = {
    "expired": expired,
    "unknown-key": unknown_key,
    "alg-none": alg_none,
    "hs256-with-public-key": hs256_with_public_key,
    "other-audience": other_audience,
    "other-issuer": other_issuer,
}


def _connection_init(running: RunningStack, name: str, payload: dict) -> dict | int:
    """The subgraph's answer to connection_init: the ack message, or the close code."""
    url = running.subgraph_url(name).replace("http://", "ws://")
    with connect(
        url,
        subprotocols=["graphql-transport-ws"],
        additional_headers=running.subgraph_headers,
        open_timeout=5,
    ) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            return json.loads(socket.recv(timeout=5))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code


@pytest.mark.parametrize("name", NAMES)
def test_a_valid_token_opens_a_subscription_socket(running: RunningStack, name: str) -> None:
    token = sign_up(running)["accessToken"]
    assert _connection_init(running, name, {"authorization": f"Bearer {token}"}) == {
        "type": "connection_ack"
    }
    # Apollo Router's form: {"token": ...}
    assert _connection_init(running, name, {"token": f"Bearer {token}"})["type"] == "connection_ack"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_token_is_refused_with_4401(running: RunningStack, name: str, kind: str) -> None:
    token = BAD_TOKENS[kind](running)
    assert _connection_init(running, name, {"authorization": f"Bearer {token}"}) == 4401


@pytest.mark.parametrize("name", NAMES)
def test_no_token_is_refused_with_4401(running: RunningStack, name: str) -> None:
    assert _connection_init(running, name, {}) == 4401


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_token_over_http_is_unauthenticated(running: RunningStack, kind: str) -> None:
    body = graphql(running.gateway_url, "{ me { id } }", token=BAD_TOKENS[kind](running))
    assert body["data"] == {"me": None} or body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "token" in error["message"]
