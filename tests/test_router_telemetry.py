"""Apollo Router's telemetry block: valid for 2.13.1, traces off by default, metrics on."""

from __future__ import annotations

import re

import jsonschema

from .test_router_config import REPO, load, schema  # noqa: F401 (fixture)

TRACING_ON = {"BUNRI_ROUTER_TRACING": "true", "BUNRI_OTLP_ENDPOINT": "http://collector:4318"}


def test_telemetry_is_valid_with_tracing_on_and_off(schema: dict) -> None:  # noqa: F811
    for env in ({}, TRACING_ON):
        jsonschema.validate(load({"BUNRI_GATEWAY_SECRET": "s", **env}), schema)


def test_traces_are_off_unless_asked_and_follow_w3c_trace_context() -> None:
    tracing = load()["telemetry"]["exporters"]["tracing"]
    assert tracing["otlp"]["enabled"] is False
    assert tracing["propagation"]["trace_context"] is True
    assert tracing["common"]["parent_based_sampler"] is True
    assert tracing["common"]["sampler"] == 0.1
    on = load(TRACING_ON)["telemetry"]["exporters"]["tracing"]["otlp"]
    assert on == {"enabled": True, "endpoint": "http://collector:4318", "protocol": "http"}


def test_prometheus_metrics_with_per_subgraph_fetches() -> None:
    telemetry = load()["telemetry"]
    prometheus = telemetry["exporters"]["metrics"]["prometheus"]
    assert prometheus == {"enabled": True, "listen": "0.0.0.0:9090", "path": "/metrics"}
    subgraph = telemetry["instrumentation"]["instruments"]["subgraph"]
    assert subgraph["http.client.request.duration"]["attributes"]["subgraph.name"] is True
    assert subgraph["bunri.subgraph.errors"]["attributes"]["subgraph.name"] is True


def test_hive_gateway_image_contains_the_modules_its_config_imports() -> None:
    router = REPO / "router"
    imported = re.findall(r"from '\./([^']+)'", (router / "gateway.config.ts").read_text())
    assert "telemetry.ts" in imported
    copied = " ".join(
        line for line in (router / "Dockerfile").read_text().splitlines() if line.startswith("COPY")
    )
    for module in imported:
        assert module in copied.split(), f"router/Dockerfile does not copy {module}"
