"""Helpers for the waste end-to-end tests (real images, uploads, analyses via the gateway);
in devstack so a test imports them like any module (`from devstack.waste_flow import …`)."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from PIL import Image

from devstack.testing import RunningStack, graphql

CREATE_UPLOAD = """mutation ($input: CreateImageUploadInput!) {
  createImageUpload(input: $input) { uploadId uploadUrl expiresAt } }"""
ANALYZE = """mutation ($input: AnalyzeWasteInput!) {
  analyzeWaste(input: $input) { id status stage progress } }"""
PROGRESS = """subscription ($id: ID!) {
  analysisProgress(analysisId: $id) {
    analysisId status stage progress message messageEn: message(language: EN) pointsAwarded
    analysis { id status pointsAwarded result { cached classifier itemName confidence
      category { code name(language: EN) guide { steps } } }
      user { id nickname points } }
  }
}"""


def jpeg(colour: tuple[int, int, int] = (30, 120, 200), *, gps: bool = True) -> bytes:
    """A real photo-like JPEG; with EXIF GPS coordinates, as phones write them."""
    image = Image.new("RGB", (64, 48), colour)
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (37.0, 33.0, 59.4), 3: "E", 4: (126.0, 58.0, 40.8)}
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (32, 32), (200, 10, 10, 255)).save(out, format="PNG")
    return out.getvalue()


def create_upload(
    running: RunningStack, token: str, *, content_type: str, size: int
) -> dict[str, Any]:
    body = graphql(
        running.gateway_url,
        CREATE_UPLOAD,
        {"input": {"contentType": content_type, "byteSize": size}},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["createImageUpload"]


def put(url: str, data: bytes, content_type: str) -> httpx.Response:
    return httpx.put(url, content=data, headers={"Content-Type": content_type}, timeout=30)


def upload(running: RunningStack, token: str, data: bytes, content_type: str = "image/jpeg") -> str:
    reserved = create_upload(running, token, content_type=content_type, size=len(data))
    response = put(reserved["uploadUrl"], data, content_type)
    assert response.status_code == 200, response.text
    return reserved["uploadId"]


def analyze(
    running: RunningStack, token: str, upload_id: str, hint: str | None = None, **extra: Any
) -> dict[str, Any]:
    body = graphql(
        running.gateway_url,
        ANALYZE,
        {"input": {"uploadId": upload_id, "hint": hint, **extra}},
        token=token,
    )
    return body


@contextmanager
def paused(running: RunningStack, process: str = "waste-worker") -> Iterator[None]:
    """SIGSTOP a worker, so a job waits in the queue until we let it go."""
    pid = running.processes[process].popen.pid
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


def resume(running: RunningStack, process: str = "waste-worker") -> None:
    os.killpg(running.processes[process].popen.pid, signal.SIGCONT)
