from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from bunri_shared import ratelimit
from bunri_shared.auth.permissions import IsAuthenticated, require_principal
from bunri_shared.messaging import send
from bunri_shared.outages import deliver_after_commit
from waste import service
from waste.contract import ANALYZE_WASTE
from waste.events import ProgressEvent, publish
from waste.signing import upload_url
from waste.types import (
    AnalyzeWasteInput,
    CreateImageUploadInput,
    ImageUpload,
    Info,
    WasteAnalysis,
)


def per_user_per_hour(action: str, user_id: uuid.UUID, allowed: int) -> ratelimit.Limit:
    return ratelimit.Limit(f"waste:{action}:user:{user_id}", allowed, 3600)


@strawberry.type(description="The entry points for changing data.")
class Mutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Reserve an upload; then PUT the image bytes to the returned URL.",
    )
    async def create_image_upload(
        self,
        info: Info,
        input: Annotated[
            CreateImageUploadInput, strawberry.argument(description="What will be uploaded.")
        ],
    ) -> ImageUpload:
        context = info.context
        principal = require_principal(context)
        settings = context.settings
        await ratelimit.take(
            context.resources.redis,
            [per_user_per_hour("uploads", principal.user_id, settings.uploads_per_user_per_hour)],
        )
        async with context.sessions() as session, session.begin():
            upload = await service.create_upload(
                session=session,
                settings=settings,
                user_id=principal.user_id,
                content_type=input.content_type,
                size=input.byte_size,
            )
        return ImageUpload(
            upload_id=strawberry.ID(str(upload.id)),
            upload_url=upload_url(
                base_url=settings.public_url,
                key=settings.upload_signing_key.get_secret_value().encode(),
                upload_id=upload.id,
                expires_at=upload.expires_at,
            ),
            expires_at=upload.expires_at,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Analyse an uploaded image; follow it with analysisProgress.",
    )
    async def analyze_waste(
        self,
        info: Info,
        input: Annotated[
            AnalyzeWasteInput, strawberry.argument(description="Which upload, and a hint.")
        ],
    ) -> WasteAnalysis:
        context = info.context
        principal = require_principal(context)
        await ratelimit.take(
            context.resources.redis,
            [
                per_user_per_hour(
                    "analyses", principal.user_id, context.settings.analyses_per_user_per_hour
                )
            ],
        )
        async with context.sessions() as session, session.begin():
            analysis, created = await service.request_analysis(
                session=session,
                settings=context.settings,
                user_id=principal.user_id,
                upload_id=input.upload_id,
                hint=input.hint,
                idempotency_key=input.idempotency_key,
            )
        if created:
            # After the commit: a worker must find the row. Retried through a blip; if it
            # still cannot go, the row is the outbox: the reconciler re-sends a job that
            # stays QUEUED with an old enqueued_at. The client has its analysis either way.
            resources = context.resources
            await deliver_after_commit(
                lambda: publish(
                    resources.redis, ProgressEvent(str(analysis.id), "QUEUED", "queued", 0, None)
                ),
                what=f"analysis {analysis.id} queued event",
                attempts=1,
            )
            await deliver_after_commit(
                lambda: send(resources.broker, ANALYZE_WASTE, analysis_id=str(analysis.id)),
                what=f"analysis {analysis.id} job",
            )
        return WasteAnalysis.from_row(analysis)
