"""The messages the waste domain consumes (today only from itself): names and fields.

A sender in another domain would copy a route into its own `outgoing.py`;
tests/test_message_contracts.py checks such copies against this module.
"""

from __future__ import annotations

import uuid

from bunri_shared.messaging import Payload, Route

QUEUE = "waste"


class AnalyzeWaste(Payload):
    """Run the analysis pipeline for one analysis (its row exists before the message)."""

    analysis_id: uuid.UUID


ANALYZE_WASTE = Route(QUEUE, "analyze_waste", AnalyzeWaste)
# One run of upload retention (scheduled by the waste reconciler); no fields.
PURGE_UPLOADS = Route(QUEUE, "purge_uploads")
