"""The heart of the product, end to end through the gateway with real workers."""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import datetime
from typing import Any

import psycopg
import redis

from devstack.testing import TEST_SETTINGS, RunningStack, graphql, sign_up, subscribe
from devstack.waste_flow import CREATE_UPLOAD, PROGRESS, analyze, jpeg, paused, resume, upload
from waste.events import ProgressEvent, channel
from waste.state import AnalysisState, AnalysisStatus, AnalysisStep


def _watch(running: RunningStack, token: str, analysis_id: str, **kwargs: Any) -> list[dict]:
    return subscribe(
        running.gateway_url,
        PROGRESS,
        {"id": analysis_id},
        connection_params={"authorization": f"Bearer {token}"},
        **kwargs,
    )


ORDER = [
    "QUEUED",
    "STARTED",
    "LOADING_IMAGE",
    "CHECKING_CACHE",
    "PREPARING_IMAGE",
    "CLASSIFYING",
    "FINALISING",
    "DONE",
]


def _points(running: RunningStack, token: str) -> int:
    return graphql(running.gateway_url, "{ me { points } }", token=token)["data"]["me"]["points"]


def _wait_for_points(running: RunningStack, token: str, points: int) -> None:
    deadline = time.monotonic() + 15
    while _points(running, token) != points:
        assert time.monotonic() < deadline, f"points never reached {points}"
        time.sleep(0.1)


def test_photo_with_hint_is_analysed_live_across_subgraphs(running: RunningStack) -> None:
    account = sign_up(running, nickname="물병러")
    token = account["accessToken"]
    image = jpeg((10, 140, 220))
    upload_id = upload(running, token, image)
    with paused(running):
        started = analyze(running, token, upload_id, "생수병")
        assert "errors" not in started, started
        analysis_id = started["data"]["analyzeWaste"]["id"]
        assert started["data"]["analyzeWaste"]["status"] == "QUEUED"
        # Subscribed while the job waits; the worker goes on once the first event is in.
        events = _watch(running, token, analysis_id, on_first=lambda: resume(running))
    payloads = [e["data"]["analysisProgress"] for e in events]
    assert payloads[0]["status"] == "QUEUED"
    stages = [p["stage"] for p in payloads]
    # Every stage, in the documented order, each with its message in both languages.
    assert stages == sorted(set(stages), key=ORDER.index) == ORDER, stages
    assert payloads[1]["message"] == "분석을 시작했어요."
    assert payloads[1]["messageEn"] == "The analysis has started."
    assert all(p["message"] and p["messageEn"] for p in payloads)
    progress = [p["progress"] for p in payloads]
    assert progress == sorted(progress) and progress[-1] == 100
    final = payloads[-1]
    assert final["status"] == "SUCCEEDED"
    # The final event says what was earned; the points total follows.
    assert [p["pointsAwarded"] for p in payloads] == [None] * (len(payloads) - 1) + [10]
    assert final["messageEn"] == "Done! You earned 10 points."
    assert final["message"] == "완료! 10포인트를 받았어요."
    result = final["analysis"]["result"]
    assert result["cached"] is False and result["classifier"] == "offline-hint"
    assert result["category"]["code"] == "CLEAR_PET"
    assert result["category"]["name"] and result["category"]["guide"]["steps"]
    assert final["analysis"]["user"]["nickname"] == "물병러"
    assert final["analysis"]["pointsAwarded"] == 10
    _wait_for_points(running, token, 10)

    # The same image bytes again: answered from the cache.
    again = analyze(running, token, upload(running, token, image), "생수병")
    again_id = again["data"]["analyzeWaste"]["id"]
    cached = [e["data"]["analysisProgress"] for e in _watch(running, token, again_id)]
    last = cached[-1]
    assert last["status"] == "SUCCEEDED"
    assert last["analysis"]["result"]["cached"] is True
    assert last["analysis"]["result"]["category"]["code"] == "CLEAR_PET"
    # A cached answer skips preparing and classifying.
    assert "CLASSIFYING" not in [p["stage"] for p in cached] and last["stage"] == "DONE"
    # The same photo again earns nothing, and says so; the reconciler (which pays what
    # was never sent) leaves it that way.
    assert (last["pointsAwarded"], last["messageEn"]) == (0, "Done!")
    time.sleep(3)  # > BUNRI_STALE_AFTER_SECONDS + one reconcile interval in tests
    assert _points(running, token) == 10


def test_a_late_subscriber_gets_one_terminal_event(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    analysis_id = analyze(running, token, upload(running, token, jpeg((1, 2, 3))), "우유팩")[
        "data"
    ]["analyzeWaste"]["id"]
    first = _watch(running, token, analysis_id)
    assert first[-1]["data"]["analysisProgress"]["status"] == "SUCCEEDED"
    late = _watch(running, token, analysis_id)
    assert len(late) == 1
    assert late[0]["data"]["analysisProgress"]["status"] == "SUCCEEDED"
    assert late[0]["data"]["analysisProgress"]["analysis"]["result"]["category"]["code"] == (
        "PAPER_PACK"
    )


def test_no_usable_hint_is_unclassified_never_a_guess(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    for hint in (None, "qzxjvwk"):
        analysis_id = analyze(running, token, upload(running, token, jpeg((9, 9, 9))), hint)[
            "data"
        ]["analyzeWaste"]["id"]
        last = _watch(running, token, analysis_id)[-1]["data"]["analysisProgress"]
        assert last["status"] == "UNCLASSIFIED"
        assert last["analysis"]["result"] is None
        assert (last["stage"], last["pointsAwarded"]) == ("DONE", 0)
        assert last["messageEn"].startswith("We could not tell what this is.")


def test_one_query_spans_four_subgraphs(running: RunningStack) -> None:
    account = sign_up(running, nickname="네개")
    token = account["accessToken"]
    analysis_id = analyze(running, token, upload(running, token, jpeg((4, 4, 4))), "알루미늄캔")[
        "data"
    ]["analyzeWaste"]["id"]
    _watch(running, token, analysis_id)
    body = graphql(
        running.gateway_url,
        """query ($id: ID!) { analysis(id: $id) {
             status user { nickname }
             result { category { code name guide { steps(language: EN) }
               dropOffPointsNear(latitude: 37.5665, longitude: 126.978, radiusMeters: 50000,
                                 first: 2) { distanceMeters point { name } } } } } }""",
        {"id": analysis_id},
        token=token,
    )
    assert "errors" not in body, body
    analysis = body["data"]["analysis"]
    assert analysis["user"]["nickname"] == "네개"  # users
    category = analysis["result"]["category"]  # waste → recycling
    assert category["code"] == "METAL" and category["guide"]["steps"]
    assert len(category["dropOffPointsNear"]) == 2  # locations
    assert category["dropOffPointsNear"][0]["point"]["name"]


def test_idempotency_key_returns_the_same_analysis(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    upload_id = upload(running, token, jpeg((5, 6, 7)))
    first = analyze(running, token, upload_id, "캔", idempotencyKey="photo-42")
    second = analyze(running, token, upload_id, "캔", idempotencyKey="photo-42")
    assert first["data"]["analyzeWaste"]["id"] == second["data"]["analyzeWaste"]["id"]
    other = analyze(running, token, upload_id, "캔", idempotencyKey="photo-43")
    assert other["data"]["analyzeWaste"]["id"] != first["data"]["analyzeWaste"]["id"]


def test_another_user_can_neither_read_nor_subscribe(running: RunningStack) -> None:
    """Someone else's analysis answers exactly like one that does not exist."""
    owner, stranger = sign_up(running)["accessToken"], sign_up(running)["accessToken"]
    analysis_id = analyze(running, owner, upload(running, owner, jpeg((8, 8, 8))), "캔")["data"][
        "analyzeWaste"
    ]["id"]
    read = graphql(
        running.gateway_url, "query ($id: ID!) { analysis(id: $id) { id } }", {"id": analysis_id},
        token=stranger,
    )  # fmt: skip
    unknown = graphql(
        running.gateway_url, "query ($id: ID!) { analysis(id: $id) { id } }",
        {"id": str(uuid.uuid4())}, token=stranger,
    )  # fmt: skip
    assert read["data"] == unknown["data"] == {"analysis": None}
    [read_error], [unknown_error] = read["errors"], unknown["errors"]
    assert read_error["extensions"]["code"] == unknown_error["extensions"]["code"] == "NOT_FOUND"
    assert read_error["message"] == unknown_error["message"]
    watched = _watch(running, stranger, analysis_id)
    watched_unknown = _watch(running, stranger, str(uuid.uuid4()))
    assert len(watched) == len(watched_unknown) == 1
    assert watched[0]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert watched[0]["errors"][0]["message"] == watched_unknown[0]["errors"][0]["message"]
    assert watched[0].get("data") is None


def test_subscriptions_through_the_gateway_need_a_valid_token(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    analysis_id = analyze(running, token, upload(running, token, jpeg((3, 3, 3))), "캔")["data"][
        "analyzeWaste"
    ]["id"]
    accepted = _watch(running, token, analysis_id)
    assert accepted[-1]["data"]["analysisProgress"]["status"] in {"SUCCEEDED", "UNCLASSIFIED"}
    refused = subscribe(running.gateway_url, PROGRESS, {"id": analysis_id}, timeout=10)
    assert refused[0]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    forged = subscribe(
        running.gateway_url,
        PROGRESS,
        {"id": analysis_id},
        connection_params={"authorization": "Bearer not.a.token"},
        timeout=10,
    )
    assert forged[0]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_analysing_the_same_photo_again_earns_no_new_points(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    image = jpeg((123, 45, 67))
    # The same photo three times: twice the same question (answered from the cache), once
    # another hint (classified afresh). Only the first analysis of the image earns points.
    for hint, from_cache in (("캔", False), ("캔", True), ("생수병", False)):
        analysis_id = analyze(running, token, upload(running, token, image), hint)["data"][
            "analyzeWaste"
        ]["id"]
        last = _watch(running, token, analysis_id)[-1]["data"]["analysisProgress"]
        assert last["status"] == "SUCCEEDED"
        assert last["analysis"]["result"]["cached"] is from_cache, last
    me = "{ me { points } }"
    deadline = time.monotonic() + 15
    while graphql(running.gateway_url, me, token=token)["data"]["me"]["points"] < 10:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # Past the reconciler's window (stale after 2 s, runs every 0.5 s in tests), whose
    # "unpaid" scan must not pay either.
    time.sleep(2 + 2 * 0.5 + 1)
    assert graphql(running.gateway_url, me, token=token)["data"]["me"]["points"] == 10


def test_an_idempotency_key_names_one_request(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    first, second = upload(running, token, jpeg((1, 1, 2))), upload(running, token, jpeg((1, 1, 3)))
    assert "errors" not in analyze(running, token, first, "캔", idempotencyKey="k-1")
    reused = analyze(running, token, second, "캔", idempotencyKey="k-1")
    extensions = reused["errors"][0]["extensions"]
    assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", "idempotencyKey")


def test_an_image_gone_from_storage_fails_the_job_at_once(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    upload_id = upload(running, token, jpeg((77, 1, 1)))
    for stored in (running.stack.data_dir / "uploads" / "uploads" / upload_id).glob("*"):
        stored.unlink()
    analysis_id = analyze(running, token, upload_id, "캔")["data"]["analyzeWaste"]["id"]
    last = _watch(running, token, analysis_id)[-1]["data"]["analysisProgress"]
    assert last["status"] == "FAILED"
    body = graphql(
        running.gateway_url,
        "query ($id: ID!) { analysis(id: $id) { error { code } } }",
        {"id": analysis_id},
        token=token,
    )
    assert body["data"]["analysis"]["error"]["code"] == "UPLOAD_NOT_FOUND"


def test_reserving_uploads_is_rate_limited_per_user(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    variables = {"input": {"contentType": "image/png", "byteSize": 100}}
    limit = int(TEST_SETTINGS["BUNRI_UPLOADS_PER_USER_PER_HOUR"])  # 120 by default
    codes = []
    for _ in range(limit + 1):
        body = graphql(running.gateway_url, CREATE_UPLOAD, variables, token=token)
        codes.append(body["errors"][0]["extensions"]["code"] if "errors" in body else "ok")
    assert codes[:limit] == ["ok"] * limit
    assert codes[limit] == "RATE_LIMITED"


def test_a_subscription_ends_when_its_token_expires(running: RunningStack) -> None:
    import jwt
    from cryptography.hazmat.primitives import serialization

    account = sign_up(running)
    token = account["accessToken"]
    key_path = max((running.stack.data_dir / "auth-keys").glob("*.pem"))
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    with paused(running):  # the job waits, so the stream stays open
        analysis_id = analyze(running, token, upload(running, token, jpeg((9, 8, 7))), "캔")[
            "data"
        ]["analyzeWaste"]["id"]
        # Made just before subscribing: its 3 s are not spent on the upload and the analysis.
        now = int(time.time())
        short = jwt.encode(
            {"iss": "bunri-auth", "aud": "bunri", "sub": account["user"]["id"], "iat": now,
             "exp": now + 3},
            key, "EdDSA", headers={"kid": key_path.stem},
        )  # fmt: skip
        events = _watch(running, short, analysis_id, timeout=20)  # would time out if never ended
    assert events[0]["data"]["analysisProgress"]["status"] == "QUEUED"
    assert events[-1]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_burst_of_progress_events_costs_the_subscriber_no_database_reads(
    running: RunningStack,
) -> None:
    """Events carry the analysis's state: a subscriber reads the stored state once, when it
    starts, and builds every later payload from the events themselves."""
    token = sign_up(running)["accessToken"]
    burst = 40  # below the per-subscriber queue (64): every event is delivered
    client = redis.Redis.from_url(running.stack.servers.redis_url)
    # Holding the reconciler's lock keeps its periodic statements out of the count.
    client.set("waste:reconciler", "test", px=120_000)
    try:
        with paused(running):
            analysis_id = analyze(running, token, upload(running, token, jpeg((9, 9, 9))), "캔")[
                "data"
            ]["analyzeWaste"]["id"]
            stored = graphql(
                running.gateway_url,
                "query ($id: ID!) { analysis(id: $id) { user { id } createdAt } }",
                {"id": analysis_id},
                token=token,
            )["data"]["analysis"]
            state = AnalysisState(
                id=uuid.UUID(analysis_id),
                user_id=uuid.UUID(stored["user"]["id"]),
                status=AnalysisStatus.RUNNING,
                stage=AnalysisStep.CLASSIFY,
                progress=0,
                created_at=datetime.fromisoformat(stored["createdAt"]),
            )
            before: list[float] = []

            def publish_burst() -> None:
                before.append(running.statements("waste"))
                for progress in range(1, burst + 1):
                    event = ProgressEvent(dataclasses.replace(state, progress=progress))
                    client.publish(channel(analysis_id), event.encode())
                final = dataclasses.replace(
                    state, status=AnalysisStatus.UNCLASSIFIED, stage=AnalysisStep.DONE, progress=100
                )
                client.publish(channel(analysis_id), ProgressEvent(final).encode())

            events = _watch(running, token, analysis_id, on_first=publish_burst)
            reads = running.statements("waste") - before[0]
    finally:
        client.delete("waste:reconciler")
    payloads = [e["data"]["analysisProgress"] for e in events]
    assert [p["progress"] for p in payloads] == [0, *range(1, burst + 1), 100]
    assert payloads[-1]["status"] == "UNCLASSIFIED"
    assert payloads[-1]["analysis"]["status"] == "UNCLASSIFIED"
    assert reads < 5, f"{reads} SQL statements for {burst + 1} events"


def test_a_state_change_whose_event_was_lost_still_reaches_the_subscriber(
    running: RunningStack,
) -> None:
    """Redis pub/sub can lose an event: the analysis is changed in Postgres and nothing is
    published, yet the subscriber gets the new state (from the hub's batched recheck,
    within about waste.events.RECHECK_SECONDS) and its stream ends on it."""
    token = sign_up(running)["accessToken"]
    client = redis.Redis.from_url(running.stack.servers.redis_url)
    # The reconciler publishes nothing for this job while we hold its lock.
    client.set("waste:reconciler", "test", px=120_000)
    try:
        with paused(running):  # no worker: only our SQL changes the analysis
            analysis_id = analyze(running, token, upload(running, token, jpeg((7, 7, 9))), "캔")[
                "data"
            ]["analyzeWaste"]["id"]

            def change_without_publishing() -> None:
                with psycopg.connect(running.role_url("waste")) as conn:
                    conn.execute(
                        "UPDATE analyses SET status = 'UNCLASSIFIED', stage = 'done', "
                        "progress = 100, finished_at = now() WHERE id = %s",
                        (analysis_id,),
                    )

            # A generous deadline: the recheck comes after RECHECK_SECONDS of silence.
            events = _watch(running, token, analysis_id, on_first=change_without_publishing,
                            timeout=60)  # fmt: skip
    finally:
        client.delete("waste:reconciler")
    payloads = [e["data"]["analysisProgress"] for e in events]
    assert [(p["status"], p["stage"], p["progress"]) for p in payloads] == [
        ("QUEUED", "QUEUED", 0),
        ("UNCLASSIFIED", "DONE", 100),
    ], payloads
    assert payloads[-1]["analysis"]["status"] == "UNCLASSIFIED"
