"""The messages the users domain consumes: its published contract (names and fields).

Senders keep a copy of what they send in their own `outgoing.py` (a subgraph never imports
another); tests/test_message_contracts.py checks every copy against this module. Change a
message compatibly (a new field with a default) or under a new actor name.
"""

from __future__ import annotations

import uuid

from bunri_shared.messaging import Payload, Route

QUEUE = "users"


class CreateProfile(Payload):
    """Sent by sign-up: create the account's profile. Idempotent by user id (a repeat
    changes nothing)."""

    user_id: uuid.UUID
    email: str | None
    nickname: str


class AwardPoints(Payload):
    """One award in the points ledger. Idempotent by (source, source_id); retried until the
    profile exists."""

    user_id: uuid.UUID
    source: str
    source_id: str
    points: int
    reason: str | None = None


CREATE_PROFILE = Route(QUEUE, "create_profile", CreateProfile)
AWARD_POINTS = Route(QUEUE, "award_points", AwardPoints)
