from __future__ import annotations

from typing import Annotated

import strawberry

from bunri_shared.auth.permissions import IsAuthenticated, require_principal
from waste import service
from waste.signing import upload_url
from waste.types import (
    AnalyzeWasteInput,
    CreateImageUploadInput,
    ImageUpload,
    Info,
    WasteAnalysis,
)


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
        async with context.sessions() as session, session.begin():
            upload = await service.create_upload(
                session=session,
                redis=context.resources.redis,
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
        async with context.sessions() as session, session.begin():
            analysis, created = await service.request_analysis(
                session=session,
                redis=context.resources.redis,
                settings=context.settings,
                user_id=principal.user_id,
                upload_id=input.upload_id,
                hint=input.hint,
                idempotency_key=input.idempotency_key,
            )
        if created:  # after the commit: a worker must find the row
            await service.start_analysis(context.resources, analysis)
        return WasteAnalysis.from_row(analysis)
