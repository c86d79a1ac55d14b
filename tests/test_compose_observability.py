"""docker-compose.observability.yml and its files: what the overlay adds, checked like the
main compose file (the Compose-spec validation is in test_compose.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.paths import REPO_ROOT
from devstack.subgraphs import load_subgraphs

OVERLAY = "docker-compose.observability.yml"
OBSERVABILITY = REPO_ROOT / "deploy" / "observability"
# Images without a shell or HTTP client: nothing compose could run as a check.
NO_SHELL = {"otel-collector", "tempo"}


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / name).read_text())


@pytest.fixture(scope="module")
def main() -> dict[str, Any]:
    return _load("docker-compose.yml")


@pytest.fixture(scope="module")
def overlay() -> dict[str, Any]:
    return _load(OVERLAY)


def _added(main: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    return {n: s for n, s in overlay["services"].items() if n not in main["services"]}


def test_overlay_adds_collector_trace_store_prometheus_and_grafana(
    main: dict[str, Any], overlay: dict[str, Any]
) -> None:
    added = _added(main, overlay)
    assert set(added) == {"otel-collector", "tempo", "prometheus", "grafana"}
    for name, service in added.items():
        assert ":" in service["image"] and not service["image"].endswith(":latest"), name
        assert service["restart"] == "unless-stopped" and service["mem_limit"], name
        assert float(service["cpus"]) > 0, name
        assert service["logging"]["driver"] == "json-file", name
        if name not in NO_SHELL:
            assert "test" in service["healthcheck"], name
        for dependency, rule in service.get("depends_on", {}).items():
            healthy = "test" in overlay["services"][dependency].get("healthcheck", {})
            assert rule["condition"] == ("service_healthy" if healthy else "service_started")


def test_only_loopback_ports_are_published(overlay: dict[str, Any]) -> None:
    for name, service in overlay["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_every_bunri_process_traces_and_workers_export_metrics(
    main: dict[str, Any], overlay: dict[str, Any]
) -> None:
    python = [n for n, s in main["services"].items() if "bunri" in str(s.get("image", ""))]
    python = [n for n in python if n not in {"migrate", "hive-gateway"}]
    for name in python:
        env = overlay["services"][name]["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318", name
        assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio", name
    workers = [n for n, s in main["services"].items() if "dramatiq" in str(s.get("command"))]
    assert set(workers) == {"users-worker", "waste-worker"}
    for name in workers:
        service = overlay["services"][name]
        assert service["environment"]["PROMETHEUS_MULTIPROC_DIR"] in service["tmpfs"]
    assert overlay["services"]["router"]["environment"]["BUNRI_ROUTER_TRACING"] == "true"
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in overlay["services"]["hive-gateway"]["environment"]


def test_edge_keeps_its_command_and_adds_metrics(
    main: dict[str, Any], overlay: dict[str, Any]
) -> None:
    base, extended = main["services"]["edge"]["command"], overlay["services"]["edge"]["command"]
    assert extended[: len(base)] == base, "the overlay's edge command drifted from the main one"
    assert "--metrics.prometheus=true" in extended
    assert "--metrics.prometheus.entryPoint=metrics" in extended


def test_mounted_files_exist(overlay: dict[str, Any]) -> None:
    for name, service in overlay["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).exists(), (name, source)


def test_prometheus_scrapes_every_subgraph_worker_gateway_and_the_edge(
    main: dict[str, Any], overlay: dict[str, Any]
) -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    mounts = overlay["services"]["prometheus"]["volumes"]
    assert "./deploy/observability/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts
    targets: set[str] = set()
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            targets |= {f"{name}:{sd['port']}" for name in sd["names"]}
        for static in job.get("static_configs", []):
            targets |= set(static["targets"])
    expected = {f"{s.name}:8000" for s in load_subgraphs()}
    expected |= {"waste-worker:9191", "users-worker:9191", "router:9090", "hive-gateway:4000"}
    expected.add("edge:8082")
    assert expected <= targets, expected - targets
    # Each target is a service of the stack, on a network Prometheus shares with it.
    networks = set(overlay["services"]["prometheus"]["networks"])
    for target in expected:
        service = target.split(":")[0]
        theirs = main["services"][service]["networks"]
        assert networks & set(theirs if isinstance(theirs, list) else theirs.keys()), service


def test_grafana_provisions_the_dashboards_and_their_data_sources() -> None:
    provisioning = OBSERVABILITY / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "datasources.yaml").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    assert {"prometheus", "tempo"} <= uids
    provider = yaml.safe_load((provisioning / "dashboards" / "dashboards.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    for path in (OBSERVABILITY / "grafana" / "dashboards").glob("*.json"):
        for panel in json.loads(Path(path).read_text())["panels"]:
            assert panel["datasource"]["uid"] in uids, (path.name, panel["title"])


def test_collector_sends_traces_to_the_trace_store() -> None:
    config = yaml.safe_load((OBSERVABILITY / "otel-collector" / "config.yaml").read_text())
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    (exporter,) = pipeline["exporters"]
    assert config["exporters"][exporter]["endpoint"] == "tempo:4317"
    tempo = yaml.safe_load((OBSERVABILITY / "tempo" / "tempo.yaml").read_text())
    assert "otlp" in tempo["distributor"]["receivers"]
