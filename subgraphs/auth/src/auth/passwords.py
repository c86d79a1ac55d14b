"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from bunri_shared.errors import BunriError, ErrorCode

MIN_LENGTH, MAX_LENGTH = 10, 128
# zxcvbn scores 0–4; below 2 means guessable by an online attack (common passwords,
# keyboard walks, the user's own email or nickname).
MIN_SCORE = 2

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = hasher.hash("not a real password, only for constant time")


def check_policy(password: str, *, user_inputs: list[str]) -> None:
    if len(password) < MIN_LENGTH:
        raise BunriError(
            ErrorCode.WEAK_PASSWORD, f"Use at least {MIN_LENGTH} characters.", reasons=["length"]
        )
    if len(password) > MAX_LENGTH:
        raise BunriError(ErrorCode.BAD_USER_INPUT, f"Use at most {MAX_LENGTH} characters.")
    verdict = zxcvbn(password, user_inputs=user_inputs)
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        hint = feedback.get("warning") or "This password is too easy to guess."
        raise BunriError(
            ErrorCode.WEAK_PASSWORD, hint, suggestions=list(feedback.get("suggestions", []))
        )


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
