"""docker-compose.yml (no Docker engine here): valid Compose, and the deployment's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from devstack.paths import REPO_ROOT, SHARED_MATERIAL
from devstack.subgraphs import load_subgraphs

SCHEMA = SHARED_MATERIAL / "schemas" / "compose-spec.json"
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.tls.yml"]
# One-shot jobs run to completion; services wait for them with service_completed_successfully.
ONE_SHOT = {"migrate"}
SUBGRAPHS = load_subgraphs()


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / name).read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load("docker-compose.yml")


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_files_follow_the_compose_specification(name: str) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"{SCHEMA} is not beside the checkout")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(_load(name), schema)


def test_only_the_edge_proxy_publishes_ports(compose: dict[str, Any]) -> None:
    publishing = {name for name, s in compose["services"].items() if s.get("ports")}
    assert publishing == {"edge"}
    tls = _load("docker-compose.tls.yml")
    assert {name for name, s in tls["services"].items() if s.get("ports")} <= {"edge"}


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    missing = [
        name
        for name, service in compose["services"].items()
        if name not in ONE_SHOT and "test" not in service.get("healthcheck", {})
    ]
    assert not missing, missing
    for name in ONE_SHOT:
        assert compose["services"][name]["restart"] == "no"


def test_dependencies_wait_for_health_or_completion(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for dependency, rule in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            )
            assert rule["condition"] == expected, (name, dependency)


@pytest.mark.parametrize("subgraph", SUBGRAPHS, ids=lambda s: s.name)
def test_every_subgraph_is_a_service_at_its_routing_url(
    compose: dict[str, Any], subgraph: Any
) -> None:
    service = compose["services"].get(subgraph.name)
    assert service is not None, f"{subgraph.name} is not a compose service"
    url = urlsplit(subgraph.routing_url)
    assert url.hostname == subgraph.name
    assert f"--port {url.port}" in service["command"]
    assert f"{subgraph.name}.main:app" in service["command"]
    assert "backend" in service["networks"]
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_data_services_sit_on_the_internal_network_only(compose: dict[str, Any]) -> None:
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis", "auth", "users", "recycling", "locations"):
        assert compose["services"][name]["networks"] == ["backend"], name


def test_replicas_follow_the_original_design(compose: dict[str, Any]) -> None:
    replicas = {n: s.get("deploy", {}).get("replicas", 1) for n, s in compose["services"].items()}
    assert (replicas["waste"], replicas["recycling"], replicas["waste-worker"]) == (3, 2, 5)
    assert compose["x-replicas"] == {"waste": 3, "recycling": 2, "analysis-workers": 5}


def test_gateways_are_profiles_behind_one_alias(compose: dict[str, Any]) -> None:
    router, hive = compose["services"]["router"], compose["services"]["hive-gateway"]
    assert router["image"] == "ghcr.io/apollographql/router:v2.13.1"
    assert (router["profiles"], hive["profiles"]) == (["apollo"], ["hive"])
    for gateway in (router, hive):
        assert "gateway" in gateway["networks"]["edge"]["aliases"]
    assert "APOLLO_KEY" in router["environment"] and "APOLLO_GRAPH_REF" in router["environment"]


def test_no_secret_is_written_into_the_files(compose: dict[str, Any]) -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    for variable in ("POSTGRES_PASSWORD", "BUNRI_GATEWAY_SECRET", "BUNRI_UPLOAD_SIGNING_KEY"):
        assert f"${{{variable}:?" in text
    for line in (REPO_ROOT / "deploy" / "env.example").read_text().splitlines():
        if line.startswith(("POSTGRES_PASSWORD", "BUNRI_DB_PASSWORD_", "BUNRI_GATEWAY_SECRET")):
            assert line.endswith("="), line
    assert not list((REPO_ROOT / "deploy" / "secrets").glob("**/*.pem"))
    # Each subgraph connects with its own role's own password.
    for subgraph in SUBGRAPHS:
        url = compose["services"][subgraph.name]["environment"]["DATABASE_URL"]
        password = f"BUNRI_DB_PASSWORD_{subgraph.name.upper()}"
        assert url.startswith(f"postgresql://{subgraph.role}:${{{password}}}@"), url
        assert password in compose["services"]["migrate"]["environment"]


def test_images_build_from_one_dockerfile(compose: dict[str, Any]) -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "USER bunri" in dockerfile and "--no-install-workspace" in dockerfile
    for service in compose["services"].values():
        build = service.get("build")
        if build and build["context"] == ".":
            assert build["args"]["PACKAGE"] in {"all"} | {f"bunri-{s.name}" for s in SUBGRAPHS}
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".data"} <= set(ignored)


def test_edge_routes_only_the_graphql_and_upload_paths() -> None:
    routes = yaml.safe_load(Path(REPO_ROOT / "deploy" / "traefik" / "dynamic.yml").read_text())
    rules = {r["rule"] for r in routes["http"]["routers"].values()}
    assert rules == {"PathPrefix(`/graphql`)", "PathPrefix(`/uploads/`)"}
