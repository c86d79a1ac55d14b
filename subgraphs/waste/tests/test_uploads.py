"""Bad uploads each get their code and leave nothing half-written."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from PIL import Image

from devstack.testing import RunningStack, graphql, sign_up
from devstack.waste_flow import CREATE_UPLOAD, analyze, create_upload, jpeg, png, put, upload


def _upload_row(running: RunningStack, upload_id: str) -> tuple:
    with psycopg.connect(running.role_url("waste")) as conn:
        return conn.execute(
            "SELECT uploaded_at, storage_key, sha256 FROM uploads WHERE id = %s", (upload_id,)
        ).fetchone()


def _analyses_of(running: RunningStack, token_owner_id: str) -> int:
    with psycopg.connect(running.role_url("waste")) as conn:
        return conn.execute(
            "SELECT count(*) FROM analyses WHERE user_id = %s", (token_owner_id,)
        ).fetchone()[0]


def _stored_files(running: RunningStack, upload_id: str) -> list:
    return list((running.stack.data_dir / "uploads" / "uploads").glob(f"{upload_id}/*"))


def _code(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


@pytest.fixture
def account(running: RunningStack) -> dict:
    return sign_up(running)


def test_stored_image_has_no_exif_and_keeps_its_hash(running: RunningStack, account) -> None:
    original = jpeg(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # the photo has GPS
    upload_id = upload(running, account["accessToken"], original)
    [stored] = _stored_files(running, upload_id)
    kept = Image.open(stored)
    assert kept.format == "JPEG"
    assert not kept.getexif()  # GPS and maker gone
    import hashlib

    assert _upload_row(running, upload_id)[2] == hashlib.sha256(original).hexdigest()


@pytest.mark.parametrize(
    ("content_type", "declared_extra", "body", "status", "code"),
    [
        ("image/jpeg", 1, jpeg(), 400, "BAD_USER_INPUT"),  # fewer bytes than declared
        ("image/jpeg", -1, jpeg(), 413, "BAD_USER_INPUT"),  # more bytes than declared
        ("image/jpeg", 0, b"%PDF-1.7 definitely not an image" * 10, 422, "INVALID_IMAGE"),
        ("image/jpeg", 0, jpeg()[: len(jpeg()) // 2], 422, "INVALID_IMAGE"),  # truncated
        ("image/jpeg", 0, png(), 422, "INVALID_IMAGE"),  # a PNG declared as JPEG
    ],
    ids=["too-short", "too-long", "not-an-image", "truncated-jpeg", "png-as-jpeg"],
)
def test_bad_bytes_are_refused_and_nothing_is_kept(
    running: RunningStack,
    account,
    content_type: str,
    declared_extra: int,
    body: bytes,
    status: int,
    code: str,
) -> None:
    token = account["accessToken"]
    reserved = create_upload(
        running, token, content_type=content_type, size=len(body) + declared_extra
    )
    response = put(reserved["uploadUrl"], body, content_type)
    assert (response.status_code, _code(response)) == (status, code), response.text
    assert "Traceback" not in response.text
    assert _upload_row(running, reserved["uploadId"]) == (None, None, None)
    assert _stored_files(running, reserved["uploadId"]) == []
    # ... and the upload cannot be analysed.
    refused = analyze(running, token, reserved["uploadId"], "캔")
    assert refused["errors"][0]["extensions"]["code"] == "UPLOAD_NOT_FOUND"
    assert _analyses_of(running, account["user"]["id"]) == 0


def test_reservation_input_is_checked(running: RunningStack, account) -> None:
    for variables, field in (
        ({"contentType": "image/gif", "byteSize": 10}, "contentType"),
        ({"contentType": "image/png", "byteSize": 0}, "byteSize"),
        ({"contentType": "image/png", "byteSize": 10 * 1024 * 1024 + 1}, "byteSize"),
    ):
        body = graphql(
            running.gateway_url, CREATE_UPLOAD, {"input": variables}, token=account["accessToken"]
        )
        extensions = body["errors"][0]["extensions"]
        assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", field)
    anonymous = graphql(
        running.gateway_url, CREATE_UPLOAD, {"input": {"contentType": "image/png", "byteSize": 9}}
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_tampered_and_expired_urls(running: RunningStack, account) -> None:
    data = jpeg()
    reserved = create_upload(
        running, account["accessToken"], content_type="image/jpeg", size=len(data)
    )
    url = reserved["uploadUrl"]
    query = parse_qs(urlsplit(url).query)
    later = str(int(query["expires"][0]) + 3600)
    tampered = url.replace(f"expires={query['expires'][0]}", f"expires={later}")
    assert _code(put(tampered, data, "image/jpeg")) == "FORBIDDEN"
    wrong_type = put(url, data, "image/png")
    assert (wrong_type.status_code, _code(wrong_type)) == (400, "BAD_USER_INPUT")
    # Time passes: the reservation expires before any bytes arrive.
    with psycopg.connect(running.role_url("waste")) as conn:
        conn.execute(
            "UPDATE uploads SET expires_at = %s WHERE id = %s",
            (datetime.now(UTC) - timedelta(seconds=1), reserved["uploadId"]),
        )
    expired = put(url, data, "image/jpeg")
    assert (expired.status_code, _code(expired)) == (410, "UPLOAD_EXPIRED")
    refused = analyze(running, account["accessToken"], reserved["uploadId"], "캔")
    assert refused["errors"][0]["extensions"]["code"] == "UPLOAD_EXPIRED"


def test_an_upload_is_filled_once(running: RunningStack, account) -> None:
    data = jpeg()
    reserved = create_upload(
        running, account["accessToken"], content_type="image/jpeg", size=len(data)
    )
    assert put(reserved["uploadUrl"], data, "image/jpeg").status_code == 200
    again = put(reserved["uploadUrl"], data, "image/jpeg")
    assert (again.status_code, _code(again)) == (409, "BAD_USER_INPUT")
    assert len(_stored_files(running, reserved["uploadId"])) == 1


def test_someone_elses_upload_looks_missing(running: RunningStack, account) -> None:
    upload_id = upload(running, account["accessToken"], jpeg())
    stranger = sign_up(running)
    refused = analyze(running, stranger["accessToken"], upload_id, "캔")
    assert refused["errors"][0]["extensions"]["code"] == "UPLOAD_NOT_FOUND"
    garbage = analyze(running, stranger["accessToken"], "not-an-id", "캔")
    assert garbage["errors"][0]["extensions"]["code"] == "UPLOAD_NOT_FOUND"
    unknown = analyze(running, stranger["accessToken"], str(uuid.uuid4()), "캔")
    assert unknown["errors"][0] == {**refused["errors"][0], "path": unknown["errors"][0]["path"]}
    assert _analyses_of(running, stranger["user"]["id"]) == 0


def test_an_old_upload_cannot_be_analysed(running: RunningStack, account) -> None:
    upload_id = upload(running, account["accessToken"], jpeg())
    with psycopg.connect(running.role_url("waste")) as conn:
        conn.execute(
            "UPDATE uploads SET uploaded_at = uploaded_at - interval '2 days' WHERE id = %s",
            (upload_id,),
        )
    refused = analyze(running, account["accessToken"], upload_id, "캔")
    assert refused["errors"][0]["extensions"]["code"] == "UPLOAD_EXPIRED"


def test_analysis_input_is_checked(running: RunningStack, account) -> None:
    upload_id = upload(running, account["accessToken"], jpeg())
    too_long = analyze(running, account["accessToken"], upload_id, "병" * 201)
    assert too_long["errors"][0]["extensions"]["field"] == "hint"
    bad_key = analyze(running, account["accessToken"], upload_id, "캔", idempotencyKey="")
    assert bad_key["errors"][0]["extensions"]["field"] == "idempotencyKey"
    assert _analyses_of(running, account["user"]["id"]) == 0
