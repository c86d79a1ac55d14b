"""docker-compose.yml (no Docker engine here): valid Compose, and the deployment's rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from devstack.paths import REPO_ROOT
from devstack.subgraphs import load_subgraphs

SCHEMAS = REPO_ROOT / "tests" / "schemas"
SCHEMA = SCHEMAS / "compose-spec.json"
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.tls.yml", "docker-compose.observability.yml"]
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
    assert router["image"].startswith("ghcr.io/apollographql/router:v2.")
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


@pytest.mark.parametrize("name", ["dynamic.yml", "dynamic.tls.yml"])
def test_edge_routes_only_the_graphql_and_upload_paths(name: str) -> None:
    routes = yaml.safe_load(Path(REPO_ROOT / "deploy" / "traefik" / name).read_text())["http"]
    public = {
        r["rule"].split(" && ")[-1]
        for r in routes["routers"].values()
        if set(r["entryPoints"]) & {"web", "websecure"}
    }
    assert public == {"PathPrefix(`/graphql`)", "PathPrefix(`/uploads/`)"}
    # The dashboard: its own entrypoint, behind a login.
    dashboard = routes["routers"]["dashboard"]
    assert (dashboard["entryPoints"], dashboard["service"]) == (["traefik"], "api@internal")
    (middleware,) = dashboard["middlewares"]
    assert routes["middlewares"][middleware]["basicAuth"]["usersFile"].startswith("/run/secrets/")


def test_edge_dashboard_is_published_on_loopback_only(compose: dict[str, Any]) -> None:
    edge = compose["services"]["edge"]
    published = {port.rsplit(":", 1)[-1]: port for port in edge["ports"]}
    assert published["8080"].startswith("127.0.0.1:")
    assert published["80"] == "${BUNRI_HTTP_PORT:-80}:80"
    for file in COMPOSE_FILES:
        command = _load(file)["services"]["edge"]["command"]
        assert "--api.dashboard=true" in command and "--api.insecure=true" not in command
        assert "--entrypoints.traefik.address=:8080" in command


def _mebibytes(limit: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([kmg]?)b?", str(limit).lower()).groups()
    return float(number) * {"": 2**-20, "k": 2**-10, "m": 1, "g": 1024}[unit]


def test_every_service_is_bounded_restarts_and_rotates_its_logs(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        assert _mebibytes(service["mem_limit"]) > 0 and float(service["cpus"]) > 0, name
        assert service["restart"] == ("no" if name in ONE_SHOT else "unless-stopped"), name
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert {"max-size", "max-file"} <= logging["options"].keys(), name


def test_node_heap_ceiling_is_below_the_memory_limit(compose: dict[str, Any]) -> None:
    hive = compose["services"]["hive-gateway"]
    heap = re.search(r"--max-old-space-size=(\d+)", hive["environment"]["NODE_OPTIONS"])
    assert heap is not None
    assert int(heap[1]) < 0.9 * _mebibytes(hive["mem_limit"])


def test_workers_finish_their_jobs_before_they_are_stopped(compose: dict[str, Any]) -> None:
    """Longer than Dramatiq's default actor time limit (600 s), which the users actors and
    the waste dead-letter actor use (tests/test_kubernetes.py reads it from the code)."""
    for name in ("users-worker", "waste-worker"):
        service = compose["services"][name]
        command = service["command"]
        shutdown_ms = int(command[command.index("--worker-shutdown-timeout") + 1])
        assert shutdown_ms > 600_000, name
        assert int(service["stop_grace_period"].removesuffix("s")) * 1000 > shutdown_ms, name


def test_images_are_the_ones_ci_pushes(compose: dict[str, Any]) -> None:
    """Compose runs what CI built: ghcr.io/<repository>/<service>, prefix configurable."""
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/images.yml").read_text())
    services = set(yaml.safe_load(workflow["jobs"]["changes"]["steps"][1]["with"]["filters"]))
    ours = re.compile(
        r"\$\{BUNRI_REGISTRY:-ghcr\.io/[\w.-]+/[\w.-]+\}/(?P<image>[\w-]+):\$\{BUNRI_VERSION:-main\}"
    )
    built = set()
    for name, service in compose["services"].items():
        match = ours.fullmatch(service["image"])
        if "build" in service or name.removesuffix("-worker") in {s.name for s in SUBGRAPHS}:
            assert match is not None, (name, service["image"])
        if match:
            assert match["image"] in services, name
            built.add(match["image"])
    assert built == services, "every image CI pushes is used, and only those"


def test_data_stores_are_the_versions_dev_and_tests_run(compose: dict[str, Any]) -> None:
    """Postgres 18 and Valkey 8, as the embedded servers of make dev / make test."""
    assert re.fullmatch(r"postgres:18\.\d+(-\w+)?", compose["services"]["postgres"]["image"])
    assert re.fullmatch(r"valkey/valkey:8\.\d+\.\d+(-\w+)?", compose["services"]["redis"]["image"])
    assert compose["services"]["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql"]
    assert re.fullmatch(r"traefik:v3\.\d+\.\d+", compose["services"]["edge"]["image"])


def _expand_router_defaults(value: Any) -> Any:
    """${env.X:-default} -> default (typed as the router does), ${env.X} -> a placeholder."""
    if isinstance(value, dict):
        return {k: _expand_router_defaults(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_router_defaults(v) for v in value]
    if not isinstance(value, str) or "${env." not in value:
        return value
    expanded = re.sub(
        r"\$\{env\.[A-Za-z0-9_]+(?::-([^}]*))?\}", lambda m: m[1] or "placeholder", value
    )
    typed = yaml.safe_load(expanded)
    return typed if isinstance(typed, bool | int | float) else expanded


def test_router_yaml_fits_the_router_version_compose_runs(compose: dict[str, Any]) -> None:
    """Moving to another Apollo Router version needs that version's configuration schema
    vendored in tests/schemas, and router.yaml valid against it."""
    version = compose["services"]["router"]["image"].rsplit(":v", 1)[1]
    schema_file = SCHEMAS / f"apollo-router-{version}.config.schema.json"
    assert schema_file.is_file(), f"vendor the router {version} config schema as {schema_file}"
    config = _expand_router_defaults(yaml.safe_load((REPO_ROOT / "router/router.yaml").read_text()))
    validator = jsonschema.Draft7Validator(json.loads(schema_file.read_text()))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(config)]
    assert not errors, errors
