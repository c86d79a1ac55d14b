"""Helpers for the telemetry tests: read /metrics, run one analysis through the gateway."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from devstack.testing import RunningStack, graphql

CREATE_UPLOAD = """mutation CreateUpload($input: CreateImageUploadInput!) {
  createImageUpload(input: $input) { uploadId uploadUrl } }"""
ANALYZE = """mutation AnalyzeWaste($input: AnalyzeWasteInput!) {
  analyzeWaste(input: $input) { id status } }"""
ANALYSIS = """query Analysis($id: ID!) { analysis(id: $id) { id status } }"""


def samples(url: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of a Prometheus exposition: (name, labels, value)."""
    text = httpx.get(url, timeout=10).text
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(url: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(
        v
        for n, found, v in samples(url)
        if n == name and all(found.get(k) == want for k, want in labels.items())
    )


def wait_for(check: Callable[[], Any], *, timeout: float = 20, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (uuid.uuid4().int % 256, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


def start_analysis(
    running: RunningStack, token: str, *, headers: dict[str, str] | None = None
) -> str:
    """Upload a fresh photo and ask for its analysis; returns the analysis id."""
    data = jpeg()
    reserved = graphql(
        running.gateway_url,
        CREATE_UPLOAD,
        {"input": {"contentType": "image/jpeg", "byteSize": len(data)}},
        token=token,
    )["data"]["createImageUpload"]
    put = httpx.put(
        reserved["uploadUrl"], content=data, headers={"Content-Type": "image/jpeg"}, timeout=30
    )
    assert put.status_code == 200, put.text
    body = graphql(
        running.gateway_url,
        ANALYZE,
        {"input": {"uploadId": reserved["uploadId"], "hint": "생수병"}},
        token=token,
        headers=headers,
    )
    assert "errors" not in body, body
    return body["data"]["analyzeWaste"]["id"]


def final_status(running: RunningStack, token: str, analysis_id: str) -> str | None:
    def done() -> str | None:
        body = graphql(running.gateway_url, ANALYSIS, {"id": analysis_id}, token=token)
        status = body["data"]["analysis"]["status"]
        return status if status in ("SUCCEEDED", "UNCLASSIFIED", "FAILED") else None

    return wait_for(done, timeout=30)
