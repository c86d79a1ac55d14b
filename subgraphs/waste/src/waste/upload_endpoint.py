"""PUT /uploads/{id}: the one non-GraphQL endpoint; images never travel inside GraphQL.

Authorised by the signed URL alone (the edge proxy publishes this path, the gateway does
not carry it). Bytes are checked before anything is stored; a row is marked uploaded
only after its bytes are safely stored, and only once.

Web apps PUT here straight from the browser, so the path answers CORS preflights with the
gateway's allow-list (BUNRI_CORS_ORIGINS, same meaning), and every answer, errors
included, has the GraphQL response shape: `{"errors": [{"message", "extensions": {"code"}}]}`
with the same codes as the API.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from bunri_shared.errors import BunriError, ErrorCode
from bunri_shared.resources import Resources
from waste import service
from waste.config import Settings
from waste.images import ImageRejected, inspect_image
from waste.signing import signature_is_valid
from waste.storage import Storage

log = logging.getLogger(__name__)
router = APIRouter()
PREFIX = "/uploads/"
# The gateway's default (router/gateway.config.ts DEV_ORIGINS): local dev-server origins.
DEV_ORIGINS = (
    "http://localhost:3000",
    "http://localhost:5173",
    "http://localhost:8081",
    "http://localhost:19006",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:5173",
)


def cors_origins(raw: str) -> list[str]:
    """BUNRI_CORS_ORIGINS as the gateway reads it: empty = dev origins, "*" = any."""
    raw = raw.strip()
    if not raw:
        return list(DEV_ORIGINS)
    if raw == "*":
        return ["*"]
    return [origin.strip() for origin in raw.split(",") if origin.strip()]


class UploadCors:
    """Starlette's CORS middleware, for the upload path only (the rest of this service is
    reached through the gateway, never from a browser)."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["PUT"],
            allow_headers=["content-type", "x-request-id"],
            allow_credentials=False,  # signed URLs, no cookies
            expose_headers=["x-request-id"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _error(
    status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return _rejected(status, BunriError(code, message), headers)


def _invalid_url() -> JSONResponse:
    return _error(403, ErrorCode.FORBIDDEN, "The upload URL is not valid.")


# The HTTP status of each error `service.fillable_upload` raises (BAD_USER_INPUT: filled).
_NOT_FILLABLE = {
    ErrorCode.UPLOAD_NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 409,
    ErrorCode.UPLOAD_EXPIRED: 410,
}


def _rejected(
    status: int, error: BunriError, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The API's error shape and codes (`BunriError`), over HTTP with a fitting status."""
    return JSONResponse(
        {"errors": [{"message": error.message, "extensions": error.extensions}]},
        status_code=status,
        headers=headers,
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
    upload_id: str, request: Request, expires: str = "", signature: str = ""
) -> JSONResponse:
    try:
        return await _receive(upload_id, request, expires, signature)
    except Exception:
        # Logged with its traceback; the client gets the API's generic INTERNAL answer.
        log.exception("upload %s failed unexpectedly", upload_id)
        return _error(500, ErrorCode.INTERNAL, "Something went wrong; try again.")


@router.api_route(
    "/uploads/{upload_id}",
    methods=["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"],
    include_in_schema=False,
)
async def wrong_method(upload_id: str) -> JSONResponse:
    return _error(
        405, ErrorCode.BAD_USER_INPUT, "PUT the image bytes to this URL.", {"Allow": "PUT"}
    )


@router.api_route(
    "/uploads/{rest:path}",
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    include_in_schema=False,
)
async def no_such_upload(rest: str) -> JSONResponse:
    return _rejected(404, service.upload_not_found())


async def _receive(
    upload_id: str, request: Request, expires_raw: str, signature: str
) -> JSONResponse:
    resources: Resources = request.app.state.resources
    settings: Settings = resources.settings  # type: ignore[assignment]
    storage: Storage = request.app.state.storage
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        return _rejected(404, service.upload_not_found())
    try:
        expires = int(expires_raw)
    except ValueError:
        return _invalid_url()
    signing_key = settings.upload_signing_key.get_secret_value().encode()
    if not signature_is_valid(key=signing_key, upload_id=key, expires=expires, signature=signature):
        return _invalid_url()
    if expires < datetime.now(UTC).timestamp():
        return _error(410, ErrorCode.UPLOAD_EXPIRED, "The upload URL has expired.")
    try:
        async with resources.sessions() as session:
            upload = await service.fillable_upload(session=session, upload_id=key)
    except BunriError as refused:
        return _rejected(_NOT_FILLABLE[refused.code], refused)
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
        return _rejected(422 if rejected.code is ErrorCode.INVALID_IMAGE else 400, rejected)
    async with resources.sessions() as session, session.begin():
        stored = await service.store_image(
            session=session, storage=storage, upload_id=key, image=image
        )
    if not stored:  # another PUT got there first
        return _rejected(409, service.upload_filled())
    # Two sizes, named for what they are: what was declared in createImageUpload (and
    # received: checked equal above) and what is kept once metadata (EXIF, GPS) is stripped.
    return JSONResponse(
        {
            "uploadId": str(key),
            "contentType": image.content_type,
            "declaredByteSize": upload.declared_size,
            "storedByteSize": image.size,
            "width": image.width,
            "height": image.height,
        }
    )
