"""PUT /uploads/{id}: the one non-GraphQL endpoint; images never travel inside GraphQL.

Authorised by the signed URL alone (the edge proxy publishes this path, the gateway does
not carry it). Bytes are checked before anything is stored; a row is marked uploaded
only after its bytes are safely stored, and only once.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import update

from bunri_shared.errors import ErrorCode
from bunri_shared.resources import Resources
from waste.config import Settings
from waste.images import ImageRejected, inspect_image
from waste.models import Upload
from waste.signing import signature_is_valid
from waste.storage import Storage

router = APIRouter()


def _error(status: int, code: ErrorCode | str, message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": str(code)}}]}, status_code=status
    )


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past `limit` (never buffers more)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.put("/uploads/{upload_id}", include_in_schema=False)
async def receive_upload(
    upload_id: str, request: Request, expires: int = 0, signature: str = ""
) -> JSONResponse:
    resources: Resources = request.app.state.resources
    settings: Settings = resources.settings  # type: ignore[assignment]
    storage: Storage = request.app.state.storage
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        return _error(404, ErrorCode.UPLOAD_NOT_FOUND, "No such upload.")
    signing_key = settings.upload_signing_key.get_secret_value().encode()
    if not signature_is_valid(key=signing_key, upload_id=key, expires=expires, signature=signature):
        return _error(403, ErrorCode.FORBIDDEN, "The upload URL is not valid.")
    if expires < datetime.now(UTC).timestamp():
        return _error(410, ErrorCode.UPLOAD_EXPIRED, "The upload URL has expired.")
    async with resources.sessions() as session:
        upload = await session.get(Upload, key)
    if upload is None:
        return _error(404, ErrorCode.UPLOAD_NOT_FOUND, "No such upload.")
    if upload.uploaded_at is not None:
        return _error(409, ErrorCode.BAD_USER_INPUT, "This upload already has its bytes.")
    if upload.expires_at <= datetime.now(UTC):
        return _error(410, ErrorCode.UPLOAD_EXPIRED, "The upload has expired.")
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared != upload.declared_type:
        return _error(
            400,
            ErrorCode.BAD_USER_INPUT,
            f"Content-Type must be {upload.declared_type}, as declared in createImageUpload.",
        )
    body = await _read_at_most(request, upload.declared_size)
    if body is None:
        return _error(
            413, ErrorCode.BAD_USER_INPUT, f"More than the declared {upload.declared_size} bytes."
        )
    try:
        async with request.app.state.image_slots:
            image = await asyncio.to_thread(
                inspect_image,
                body,
                declared_type=upload.declared_type,
                declared_size=upload.declared_size,
                max_pixels=settings.max_image_pixels,
            )
    except ImageRejected as rejected:
        return _error(
            422 if rejected.code == "INVALID_IMAGE" else 400, rejected.code, rejected.message
        )
    # A fresh key per attempt: two racing PUTs never overwrite each other's bytes.
    storage_key = f"uploads/{key}/{secrets.token_hex(8)}"
    await storage.put(storage_key, image.data, image.content_type)
    async with resources.sessions() as session, session.begin():
        marked = await session.execute(
            update(Upload)
            .where(Upload.id == key, Upload.uploaded_at.is_(None))
            .values(
                uploaded_at=datetime.now(UTC),
                detected_type=image.content_type,
                storage_key=storage_key,
                stored_size=image.size,
                width=image.width,
                height=image.height,
                sha256=image.sha256,
            )
        )
    if marked.rowcount == 0:
        await storage.delete(storage_key)
        return _error(409, ErrorCode.BAD_USER_INPUT, "This upload already has its bytes.")
    return JSONResponse(
        {
            "uploadId": str(key),
            "contentType": image.content_type,
            "byteSize": image.size,
            "width": image.width,
            "height": image.height,
        }
    )
