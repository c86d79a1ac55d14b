"""Upload retention and the storage quota: exactly what should go goes (rows and files)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import redis

from devstack.testing import RunningStack, graphql, sign_up
from devstack.waste_flow import ANALYZE, create_upload, jpeg, paused, upload

RESULT = "query ($id: ID!) { analysis(id: $id) { status result { itemName category { code } } } }"


def _sql(running: RunningStack, statement: str, *params: object) -> list[tuple]:
    with psycopg.connect(running.role_url("waste")) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _age(running: RunningStack, upload_id: str, interval: str) -> None:
    _sql(
        running,
        "UPDATE uploads SET created_at = created_at - %s::interval,"
        " uploaded_at = uploaded_at - %s::interval WHERE id = %s",
        interval, interval, upload_id,
    )  # fmt: skip


def _row(running: RunningStack, upload_id: str) -> tuple | None:
    rows = _sql(running, "SELECT storage_key FROM uploads WHERE id = %s", upload_id)
    return rows[0] if rows else None


def _file(running: RunningStack, key: str):
    return running.stack.data_dir / "uploads" / key


def _analyse(running: RunningStack, token: str, upload_id: str) -> str:
    body = graphql(
        running.gateway_url, ANALYZE, {"input": {"uploadId": upload_id, "hint": "캔"}}, token=token
    )
    return body["data"]["analyzeWaste"]["id"]


def _finished(running: RunningStack, token: str, analysis_id: str) -> dict:
    deadline = time.monotonic() + 20
    while True:
        analysis = graphql(running.gateway_url, RESULT, {"id": analysis_id}, token=token)["data"][
            "analysis"
        ]
        if analysis["status"] not in ("QUEUED", "RUNNING"):
            return analysis
        assert time.monotonic() < deadline
        time.sleep(0.1)


@contextmanager
def _periodic_job_held(running: RunningStack) -> Iterator[None]:
    """Holds the purge job's own lock, so only the command we run purges meanwhile."""
    client = redis.Redis.from_url(running.stack.servers.redis_url)
    client.set("waste:retention:running", "test", px=120_000)
    try:
        yield
    finally:
        client.delete("waste:retention:running")


def _purge(running: RunningStack) -> dict:
    waste = running.subgraph("waste")
    done = subprocess.run(
        [sys.executable, "-m", "waste.retention", "--json"],
        env=running.stack.subgraph_env(waste), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_retention_deletes_exactly_what_it_should(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    reserved = create_upload(running, token, content_type="image/jpeg", size=100)["uploadId"]
    unanalysed_old = upload(running, token, jpeg((1, 2, 3)))
    unanalysed_new = upload(running, token, jpeg((1, 2, 4)))
    analysed_old, analysed_recent = (
        upload(running, token, jpeg((1, 2, 5))),
        upload(running, token, jpeg((1, 2, 6))),
    )
    done_old = _analyse(running, token, analysed_old)
    done_recent = _analyse(running, token, analysed_recent)
    before = _finished(running, token, done_old)
    assert before["status"] == "SUCCEEDED"
    _finished(running, token, done_recent)
    busy = upload(running, token, jpeg((1, 2, 7)))
    keys = {u: _row(running, u)[0] for u in (unanalysed_old, unanalysed_new, analysed_old,
                                              analysed_recent, busy)}  # fmt: skip
    assert all(_file(running, key).is_file() for key in keys.values())
    with paused(running), _periodic_job_held(running):
        in_progress = _analyse(running, token, busy)  # QUEUED: its worker is stopped
        _age(running, reserved, "25 hours")
        _age(running, unanalysed_old, "25 hours")
        _age(running, unanalysed_new, "23 hours")
        _age(running, analysed_old, "31 days")
        _age(running, analysed_recent, "29 days")
        _age(running, busy, "31 days")
        counts = _purge(running)
        again = _purge(running)  # idempotent: nothing left to do
    assert counts["reservations"] >= 1 and counts["unreferenced_images"] >= 1
    assert counts["analysed_images"] >= 1
    assert again == {"reservations": 0, "unreferenced_images": 0, "analysed_images": 0}
    # Gone entirely: the old reservation and the old image nobody analysed.
    assert _row(running, reserved) is None
    assert _row(running, unanalysed_old) is None
    assert not _file(running, keys[unanalysed_old]).exists()
    # The old analysed image is gone, the upload row and the analysis' result stay.
    assert _row(running, analysed_old) == (None,)
    assert not _file(running, keys[analysed_old]).exists()
    assert _finished(running, token, done_old) == before
    # Kept: younger than their limits, or needed by an analysis in progress.
    kept = {"unanalysed_new": unanalysed_new, "analysed_recent": analysed_recent, "busy": busy}
    for name, upload_id in kept.items():
        assert _row(running, upload_id) == (keys[upload_id],), (name, counts)
        assert _file(running, keys[upload_id]).is_file(), name
    # ... and that analysis, let go now, finds its image.
    assert _finished(running, token, in_progress)["status"] == "SUCCEEDED"


def test_the_periodic_job_purges_on_its_own(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    old = upload(running, token, jpeg((9, 9, 1)))
    [(key,)] = _sql(running, "SELECT storage_key FROM uploads WHERE id = %s", old)
    _age(running, old, "25 hours")
    deadline = time.monotonic() + 20  # the test stack schedules it every 2 s
    while _row(running, old) is not None:
        assert time.monotonic() < deadline, "the periodic retention job never ran"
        time.sleep(0.2)
    assert not _file(running, key).exists()


def test_a_user_has_a_storage_quota(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    ten_mb = 10 * 1024 * 1024
    taken = [create_upload(running, token, content_type="image/jpeg", size=ten_mb)["uploadId"]
             for _ in range(20)]  # fmt: skip
    body = graphql(
        running.gateway_url,
        "mutation ($i: CreateImageUploadInput!) { createImageUpload(input: $i) { uploadId } }",
        {"i": {"contentType": "image/jpeg", "byteSize": ten_mb}},
        token=token,
    )
    extensions = body["errors"][0]["extensions"]
    assert (extensions["code"], extensions["reason"]) == ("RATE_LIMITED", "STORAGE_QUOTA")
    assert extensions["usedBytes"] == 20 * ten_mb
    # Reservations that can no longer be filled hold nothing.
    _sql(
        running, "UPDATE uploads SET expires_at = now() - interval '1 second' WHERE id = ANY(%s)",
        taken[:1],
    )  # fmt: skip
    assert create_upload(running, token, content_type="image/jpeg", size=ten_mb)["uploadId"]
