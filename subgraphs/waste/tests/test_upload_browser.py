"""What a web app sees of the upload endpoint: CORS, error shape and reply, on the real stack."""

from __future__ import annotations

import re

import httpx
import pytest

from devstack.paths import ROUTER_DIR
from devstack.testing import DEV_ORIGINS, RunningStack, sign_up
from devstack.waste_flow import create_upload, jpeg
from waste.upload_endpoint import DEV_ORIGINS as WASTE_DEV_ORIGINS
from waste.upload_endpoint import cors_origins

ALLOWED = "http://localhost:5173"


@pytest.fixture
def reserved(running: RunningStack) -> tuple[dict, bytes]:
    token = sign_up(running)["accessToken"]
    data = jpeg(gps=True)
    return create_upload(running, token, content_type="image/jpeg", size=len(data)), data


def _preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_browser_preflight_and_put_from_an_allowed_origin(running: RunningStack, reserved) -> None:
    upload, data = reserved
    preflight = _preflight(upload["uploadUrl"], ALLOWED)
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "PUT" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers  # no cookies, ever

    put = httpx.put(
        upload["uploadUrl"],
        content=data,
        headers={"Content-Type": "image/jpeg", "Origin": ALLOWED},
    )
    assert put.status_code == 200, put.text
    assert put.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in put.headers
    reply = put.json()
    assert reply["uploadId"] == upload["uploadId"]
    assert reply["contentType"] == "image/jpeg"
    assert reply["declaredByteSize"] == len(data)
    # EXIF (GPS) stripped: the kept image is smaller than what was sent, and says so.
    assert 0 < reply["storedByteSize"] < len(data)
    assert "byteSize" not in reply
    assert (reply["width"], reply["height"]) == (64, 48)


def test_foreign_origins_get_no_cors_grant(running: RunningStack, reserved) -> None:
    upload, _ = reserved
    foreign = _preflight(upload["uploadUrl"], "https://evil.example")
    assert "access-control-allow-origin" not in foreign.headers
    # The browser would stop here; the gateway's list is the same (test_supergraph).


@pytest.mark.parametrize(
    ("method", "path_suffix", "status", "code"),
    [
        ("GET", "", 405, "BAD_USER_INPUT"),
        ("POST", "", 405, "BAD_USER_INPUT"),
        ("PUT", "/extra/segments", 404, "UPLOAD_NOT_FOUND"),
    ],
)
def test_every_error_has_the_graphql_error_shape(
    running: RunningStack, reserved, method: str, path_suffix: str, status: int, code: str
) -> None:
    upload, data = reserved
    base, query = upload["uploadUrl"].split("?", 1)
    response = httpx.request(
        method, f"{base}{path_suffix}?{query}", content=data, headers={"Content-Type": "image/jpeg"}
    )
    assert response.status_code == status
    [error] = response.json()["errors"]
    assert set(error) == {"message", "extensions"} and error["message"]
    assert error["extensions"] == {"code": code}
    assert "Traceback" not in response.text


def test_a_malformed_signature_query_is_forbidden_not_a_framework_error(
    running: RunningStack, reserved
) -> None:
    upload, data = reserved
    broken = re.sub(r"expires=\d+", "expires=soon", upload["uploadUrl"])
    response = httpx.put(broken, content=data, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert "detail" not in response.json()


def test_same_origin_list_as_the_gateway() -> None:
    """The upload endpoint and the test stack default to the gateway's dev origins."""
    source = (ROUTER_DIR / "gateway.config.ts").read_text(encoding="utf-8")
    block = re.search(r"const DEV_ORIGINS = \[(.*?)\];", source, re.S)
    assert block is not None
    gateway = tuple(re.findall(r"'([^']+)'", block.group(1)))
    assert gateway == WASTE_DEV_ORIGINS == DEV_ORIGINS
    assert cors_origins("") == list(gateway)
    assert cors_origins(" * ") == ["*"]
    assert cors_origins("https://a.example, https://b.example,") == [
        "https://a.example",
        "https://b.example",
    ]
