"""Workers die, classifiers fail: every job still reaches a terminal state, visibly."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from devstack.embedded import free_port
from devstack.fake_openai import Behaviour
from devstack.testing import (
    RunningProcess,
    RunningStack,
    graphql,
    sign_up,
    stop_all,
    subscribe,
)
from devstack.waste_flow import PROGRESS, analyze, jpeg, paused, upload
from waste.state import AnalysisStep

ANSWER = {"category_code": "CLEAR_PET", "item_name": "생수병", "confidence": 0.9}


def _row(running: RunningStack, analysis_id: str) -> dict:
    with psycopg.connect(running.role_url("waste")) as conn:
        cursor = conn.execute(
            "SELECT status, stage, attempts, error_code, category_code FROM analyses WHERE id = %s",
            (analysis_id,),
        )
        names = [c.name for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _wait_for(condition: Callable[[], bool], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def vision_workers(
    running: RunningStack, fake_openai, tmp_path: Path
) -> Iterator[Callable[[], RunningProcess]]:
    """Starts waste workers that classify with the (fake) vision model, while the regular
    offline worker is paused so that only these take jobs."""
    regular = running.processes["waste-worker"].spec
    started: list[RunningProcess] = []

    def start(**settings: str) -> RunningProcess:
        spec = dataclasses.replace(
            regular,
            name=f"vision-worker-{len(started)}",
            env={
                **regular.env,
                "BUNRI_CLASSIFIER": "vision",
                "BUNRI_VISION_BASE_URL": fake_openai.base_url,
                "BUNRI_VISION_MODEL": "fake-vision-1",
                "BUNRI_VISION_TIMEOUT_SECONDS": "10",
                "BUNRI_JOB_MAX_RETRIES": "2",
                # Retries after 0.1-0.2 s and 0.2-0.4 s rather than 1-2 s and 2-4 s.
                "BUNRI_JOB_RETRY_MIN_BACKOFF_SECONDS": "0.1",
                **settings,
            },
        )
        process = RunningProcess(spec, tmp_path)
        started.append(process)
        return process

    with paused(running):
        yield start
        stop_all(started)


def _start_job(running: RunningStack, token: str, hint: str = "물병") -> str:
    # A new image each time, so no job is answered from the cache of another.
    colour = tuple(random.randrange(256) for _ in range(3))
    body = analyze(running, token, upload(running, token, jpeg(colour)), hint)
    return body["data"]["analyzeWaste"]["id"]


def test_a_worker_killed_mid_job_does_not_strand_it(
    running: RunningStack, vision_workers, fake_openai
) -> None:
    fake_openai.default = Behaviour(answer=ANSWER, delay=6)
    first = vision_workers()
    token = sign_up(running)["accessToken"]
    analysis_id = _start_job(running, token)
    _wait_for(lambda: _row(running, analysis_id)["stage"] == AnalysisStep.CLASSIFY)
    os.killpg(first.popen.pid, signal.SIGKILL)
    first.popen.wait()
    fake_openai.default = Behaviour(answer=ANSWER)
    vision_workers()  # a replacement comes up; the reconciler notices the dead job
    _wait_for(lambda: _row(running, analysis_id)["status"] in {"SUCCEEDED", "FAILED"})
    row = _row(running, analysis_id)
    assert row["status"] == "SUCCEEDED" and row["category_code"] == "CLEAR_PET"
    assert row["attempts"] == 2


def test_transient_classifier_failures_are_retried(
    running: RunningStack, vision_workers, fake_openai
) -> None:
    fake_openai.script([{"status": 500}, {"status": 429}])
    fake_openai.default = Behaviour(answer=ANSWER)
    vision_workers()
    token = sign_up(running)["accessToken"]
    analysis_id = _start_job(running, token)
    events = subscribe(
        running.gateway_url, PROGRESS, {"id": analysis_id},
        connection_params={"authorization": f"Bearer {token}"}, timeout=40,
    )  # fmt: skip
    stages = [e["data"]["analysisProgress"]["stage"] for e in events]
    assert stages.count("RETRYING") == 2, stages
    assert events[-1]["data"]["analysisProgress"]["status"] == "SUCCEEDED"
    assert _row(running, analysis_id)["attempts"] == 3
    # The model saw the photo and the hint.
    request = fake_openai.requests[-1]
    assert request.image_urls[0].startswith("data:image/jpeg;base64,")
    assert any("물병" in text for text in request.texts)


def test_a_job_that_keeps_failing_ends_failed_and_visible(
    running: RunningStack, vision_workers, fake_openai
) -> None:
    fake_openai.default = Behaviour(status=503)
    vision_workers()
    token = sign_up(running)["accessToken"]
    analysis_id = _start_job(running, token)
    _wait_for(lambda: _row(running, analysis_id)["status"] == "FAILED")
    body = graphql(
        running.gateway_url,
        """query ($id: ID!) {
             analysis(id: $id) { status result { cached } error { code message } } }""",
        {"id": analysis_id},
        token=token,
    )
    analysis = body["data"]["analysis"]
    assert analysis["status"] == "FAILED" and analysis["result"] is None
    assert analysis["error"]["code"] == "RETRIES_EXHAUSTED" and analysis["error"]["message"]


def test_an_answer_outside_the_taxonomy_is_rejected_not_stored(
    running: RunningStack, vision_workers, fake_openai
) -> None:
    fake_openai.default = Behaviour(answer={**ANSWER, "category_code": "MOON_ROCKS"})
    vision_workers()
    token = sign_up(running)["accessToken"]
    analysis_id = _start_job(running, token)
    _wait_for(lambda: _row(running, analysis_id)["status"] == "FAILED")
    row = _row(running, analysis_id)
    assert row["error_code"] == "CLASSIFIER_ERROR" and row["category_code"] is None
    assert row["attempts"] == 1  # permanent: not retried


def test_a_subscriber_on_another_replica_sees_the_job(
    running: RunningStack, tmp_path: Path
) -> None:
    api = running.processes["waste"].spec
    port = free_port()
    replica_spec = dataclasses.replace(
        api,
        name="waste-replica",
        argv=[
            *api.argv[: api.argv.index("--port") + 1],
            str(port),
            *api.argv[api.argv.index("--port") + 2 :],
        ],
        health_url=f"http://127.0.0.1:{port}/ready",
    )
    replica = RunningProcess(replica_spec, tmp_path)
    try:
        replica.wait_healthy()
        token = sign_up(running)["accessToken"]
        with paused(running):
            analysis_id = _start_job(running, token, "캔")  # created through replica one
        events = subscribe(
            f"http://127.0.0.1:{port}/graphql",
            PROGRESS.replace("user { id nickname points }", "").replace(
                "category { code name(language: EN) guide { steps } }", ""
            ),
            {"id": analysis_id},
            connection_params={"authorization": f"Bearer {token}"},
            headers=running.subgraph_headers,
        )
        assert events[-1]["data"]["analysisProgress"]["status"] == "SUCCEEDED"
    finally:
        replica.stop()


def test_a_job_over_its_time_limit_fails(
    running: RunningStack, vision_workers, fake_openai
) -> None:
    fake_openai.default = Behaviour(answer=ANSWER, delay=8)
    vision_workers(BUNRI_JOB_TIME_LIMIT_SECONDS="2")
    token = sign_up(running)["accessToken"]
    analysis_id = _start_job(running, token)
    _wait_for(lambda: _row(running, analysis_id)["status"] == "FAILED")
    assert _row(running, analysis_id)["error_code"] == "TIME_LIMIT"
