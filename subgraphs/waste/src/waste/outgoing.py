"""Messages waste sends to other domains: copies of their contracts (users/contract.py).

Copied, not imported (a subgraph never imports another); tests/test_message_contracts.py
fails when a copy and the consumer's contract disagree.
"""

from __future__ import annotations

import uuid

from bunri_shared.messaging import Payload, Route


class AwardPoints(Payload):
    user_id: uuid.UUID
    source: str
    source_id: str
    points: int
    reason: str | None = None


AWARD_POINTS = Route("users", "award_points", AwardPoints)
