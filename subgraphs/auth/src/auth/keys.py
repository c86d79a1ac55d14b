"""Signing keys: Ed25519 private keys from a directory, published as a JWKS.

Rotation, in two steps so that no verifier ever meets a kid it cannot fetch yet:
1. add the new key file but keep signing with the old one (BUNRI_AUTH_ACTIVE_KID=<old>);
   restart auth: the JWKS now publishes both;
2. after the verifiers' JWKS cache has turned over (BUNRI_JWKS_TTL_SECONDS, 5 minutes),
   make the new key active (unset BUNRI_AUTH_ACTIVE_KID: the file name that sorts last
   signs) and restart auth;
   delete the old file once its last access token has expired (15 minutes).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth.config import Settings

log = logging.getLogger(__name__)
ALGORITHM = "EdDSA"


@dataclass(frozen=True, slots=True)
class SigningKeys:
    keys: dict[str, Ed25519PrivateKey]
    active_kid: str

    @classmethod
    def load(cls, settings: Settings) -> SigningKeys:
        directory = settings.auth_keys_dir
        if directory is None:
            if not settings.is_dev:
                raise RuntimeError(
                    "BUNRI_AUTH_KEYS_DIR must name the signing keys' directory "
                    "(only BUNRI_ENV=dev generates a key of its own)"
                )
            directory = settings.data_dir / "auth-keys"
            if not list(directory.glob("*.pem")):
                _generate_dev_key(directory)
        keys = {path.stem: _read_key(path) for path in sorted(directory.glob("*.pem"))}
        if not keys:
            raise RuntimeError(f"no signing keys (*.pem) in {directory}")
        active = settings.auth_active_kid or max(keys)
        if active not in keys:
            raise RuntimeError(f"active key {active!r} is not among {sorted(keys)}")
        return cls(keys=keys, active_kid=active)

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.keys[self.active_kid], algorithm=ALGORITHM,
            headers={"kid": self.active_kid},
        )  # fmt: skip

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "keys": [
                {
                    **json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key())),
                    "kid": kid,
                    "alg": ALGORITHM,
                    "use": "sig",
                }
                for kid, key in self.keys.items()
            ]
        }


def _read_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} is not an Ed25519 private key")
    return key


def _generate_dev_key(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"dev-{datetime.now(UTC):%Y%m%d%H%M%S}.pem"
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    log.warning("generated a development signing key at %s", path)
