"""deploy/kubernetes: every overlay renders with kubectl kustomize, validates strictly against
the Kubernetes 1.32 schemas (and the vendored KEDA / Argo Rollouts CRD schemas), and runs
what the code really needs: the subgraphs of supergraph.yaml at their routing URLs, probes
on paths the apps serve, workers scaled on the Redis list Dramatiq really uses."""

from __future__ import annotations

import copy
import re
import tempfile
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from devstack.paths import REPO_ROOT
from devstack.subgraphs import Subgraph, load_subgraphs

from ._kubernetes import (
    OVERLAYS,
    Object,
    containers,
    of_kind,
    pod_spec,
    python_facts,
    render,
    validation_errors,
)

SUBGRAPHS = load_subgraphs()
# The origin design's replica counts; the rest run two for availability.
DESIGN_REPLICAS = {"waste": 3, "recycling": 2}
WORKERS = {"users": "users-worker", "waste": "waste-worker"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_strictly_against_kubernetes_1_32(overlay: str) -> None:
    objects = render(overlay)
    assert objects, f"{overlay} rendered nothing"
    errors = [error for obj in objects for error in validation_errors(obj)]
    assert not errors, "\n".join(errors)


def test_strict_validation_rejects_unknown_and_mistyped_fields() -> None:
    objects = render("prod")
    deployment = copy.deepcopy(of_kind(objects, "Deployment")["waste"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert validation_errors(deployment), "a misspelt container field went through"
    scaled = copy.deepcopy(of_kind(objects, "ScaledObject")["waste-worker"])
    scaled["spec"]["minReplicas"] = 5
    assert validation_errors(scaled), "a misspelt ScaledObject field went through"
    scaled = copy.deepcopy(of_kind(objects, "ScaledObject")["waste-worker"])
    scaled["spec"]["triggers"][0]["metadata"]["listLength"] = 8
    assert validation_errors(scaled), "KEDA trigger metadata must be strings"
    rollout = copy.deepcopy(of_kind(render("prod-bluegreen"), "Rollout")["waste"])
    rollout["spec"]["strategy"]["blueGreen"]["activeSvc"] = "waste"
    assert validation_errors(rollout), "a misspelt Rollout field went through"


# Read from the code in one interpreter: the paths each subgraph's app serves, and for each
# worker module its broker's key namespace, its actors' queues and longest time limit.
CODE_FACTS = """
import importlib, json
from dramatiq.middleware import TimeLimit
paths, workers = {}, {}
for name in NAMES:
    app = importlib.import_module(name + ".main").app
    paths[name] = sorted({getattr(r, "path", "") for r in app.routes})
for domain in DOMAINS:
    b = importlib.import_module(domain + ".tasks").broker
    default = next(x.time_limit for x in b.middleware if isinstance(x, TimeLimit))
    actors = [b.get_actor(n) for n in b.get_declared_actors()]
    workers[domain] = {
        "namespace": b.namespace,
        "queues": sorted({a.queue_name for a in actors}),
        "time_limit": max(a.options.get("time_limit", default) for a in actors),
    }
print(json.dumps({"paths": paths, "workers": workers}))
"""


@pytest.fixture(scope="module")
def code_facts() -> dict[str, Any]:
    names, domains = [s.name for s in SUBGRAPHS], list(WORKERS)
    code = f"NAMES, DOMAINS = {names!r}, {domains!r}\n{CODE_FACTS}"
    # Placeholder settings: dev mode, so the apps import without real secrets and keys
    # (auth makes a throwaway key in a temporary data dir).
    with tempfile.TemporaryDirectory() as data:
        return python_facts(
            code, BUNRI_UPLOAD_SIGNING_KEY="placeholder", BUNRI_ENV="dev", BUNRI_DATA_DIR=data
        )


def _container_port(deployment: Object, name_or_number: str | int) -> int:
    if isinstance(name_or_number, int):
        return name_or_number
    for container in pod_spec(deployment)["containers"]:
        for port in container.get("ports", []):
            if port.get("name") == name_or_number:
                return int(port["containerPort"])
    raise AssertionError(f"no container port named {name_or_number}")


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("subgraph", SUBGRAPHS, ids=lambda s: s.name)
def test_every_subgraph_runs_at_its_routing_url_with_probes_autoscaling_and_budget(
    overlay: str, subgraph: Subgraph, code_facts: dict[str, Any]
) -> None:
    objects = render(overlay)
    name = subgraph.name
    deployment = of_kind(objects, "Deployment")[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (container,) = pod_spec(deployment)["containers"]

    url = urlsplit(subgraph.routing_url)
    service = of_kind(objects, "Service")[url.hostname]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = [p for p in service["spec"]["ports"] if p["port"] == url.port]
    listening = _container_port(deployment, port["targetPort"])
    assert container["command"][:2] == ["uvicorn", subgraph.app]
    assert container["command"][container["command"].index("--port") + 1] == str(listening)

    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert {"/health", "/ready"} <= set(code_facts["paths"][name])
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert _container_port(deployment, container[probe]["httpGet"]["port"]) == listening

    hpa = of_kind(objects, "HorizontalPodAutoscaler")[name]
    target = hpa["spec"]["scaleTargetRef"]
    expected_kind = "Rollout" if overlay == "prod-bluegreen" else "Deployment"
    assert (target["kind"], target["name"]) == (expected_kind, name)
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    if overlay == "prod":
        floor = DESIGN_REPLICAS.get(name, 2)
        assert deployment["spec"]["replicas"] == hpa["spec"]["minReplicas"] == floor
    pdb = of_kind(objects, "PodDisruptionBudget")[name]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_bounded_unprivileged_and_read_only(overlay: str) -> None:
    for workload, container in containers(render(overlay)):
        where = f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}"
        limits = container.get("resources", {}).get("limits", {})
        requests = container.get("resources", {}).get("requests", {})
        assert {"cpu", "memory"} <= limits.keys() and {"cpu", "memory"} <= requests.keys(), where
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, where
        assert security["capabilities"]["drop"] == ["ALL"], where
        pod = pod_spec(workload)["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["seccompProfile"]["type"] == "RuntimeDefault"
        if workload["metadata"]["labels"].get("app.kubernetes.io/component") != "datastore":
            assert security["readOnlyRootFilesystem"] is True, where
            assert pod_spec(workload)["automountServiceAccountToken"] is False, where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rollouts_lose_no_request(overlay: str) -> None:
    """Surge without unavailability, and a preStop pause so endpoints drop a pod before
    it stops listening; the grace period covers the pause and the drain."""
    for deployment in of_kind(render(overlay), "Deployment").values():
        where = deployment["metadata"]["name"]
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, where
        spec = pod_spec(deployment)
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        if component in {"subgraph", "gateway"}:
            (container,) = spec["containers"]
            pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert spec["terminationGracePeriodSeconds"] >= pause + 30, where
            assert container["readinessProbe"], where
            zones = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
            assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= zones, where


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("domain", WORKERS)
def test_workers_scale_on_the_redis_list_dramatiq_really_uses(
    overlay: str, domain: str, code_facts: dict[str, Any]
) -> None:
    objects = render(overlay)
    facts = code_facts["workers"][domain]
    name = WORKERS[domain]
    deployment = of_kind(objects, "Deployment")[name]
    (container,) = pod_spec(deployment)["containers"]
    assert container["command"][:2] == ["dramatiq", f"{domain}.tasks"]
    assert "replicas" not in deployment["spec"], "KEDA owns the worker count"

    scaled = of_kind(objects, "ScaledObject")[name]
    assert scaled["spec"]["scaleTargetRef"]["name"] == name
    lists = {t["metadata"]["listName"] for t in scaled["spec"]["triggers"] if t["type"] == "redis"}
    # RedisBroker RPUSHes message ids onto "<namespace>:<queue>" (its dispatch.lua).
    assert lists == {f"{facts['namespace']}:{queue}" for queue in facts["queues"]}
    auth = scaled["spec"]["triggers"][0]["authenticationRef"]["name"]
    assert auth in of_kind(objects, "TriggerAuthentication")

    # A job in flight finishes before the pod is killed: shutdown waits longer than the
    # longest actor time limit, and Kubernetes waits longer than the shutdown.
    shutdown_ms = int(_option(container["command"], "--worker-shutdown-timeout"))
    assert shutdown_ms > facts["time_limit"]
    assert pod_spec(deployment)["terminationGracePeriodSeconds"] * 1000 > shutdown_ms

    if overlay == "prod" and domain == "waste":
        assert scaled["spec"]["minReplicaCount"] == 5, "the design's 5 analysis workers"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_a_job_before_new_pods(overlay: str) -> None:
    job = of_kind(render(overlay), "Job")["migrate"]
    annotations = job["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/hook"] == "PreSync"
    (container,) = pod_spec(job)["containers"]
    assert container["command"] == ["bunri", "prepare"]
    assert container["image"].rsplit(":", 1)[0].endswith("/tools")
    assert pod_spec(job)["restartPolicy"] == "Never"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_publishes_only_graphql_and_uploads(overlay: str) -> None:
    objects = render(overlay)
    routes = {
        (path["path"], path["backend"]["service"]["name"])
        for ingress in of_kind(objects, "Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert routes == {("/graphql", "gateway"), ("/uploads", "waste")}
    config = of_kind(objects, "ConfigMap")
    (common,) = [c for n, c in config.items() if n.startswith("bunri-config-")]
    # The edge replaces X-Forwarded-For with the client address; nothing else is trusted.
    assert common["data"]["BUNRI_TRUSTED_PROXY_HOPS"] == "0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_config_comes_from_router_files(overlay: str) -> None:
    objects = render(overlay)
    config_maps = of_kind(objects, "ConfigMap")
    files = {key: value for c in config_maps.values() for key, value in c.get("data", {}).items()}
    assert files["supergraph.graphql"] == (REPO_ROOT / "router/supergraph.graphql").read_text()
    assert files["router.yaml"] == (REPO_ROOT / "router/router.yaml").read_text()
    (container,) = pod_spec(of_kind(objects, "Deployment")["gateway"])["containers"]
    if "hive-gateway" in container["image"]:
        heap = int(re.search(r"--max-old-space-size=(\d+)", _env(container)["NODE_OPTIONS"])[1])
        assert heap < _mebibytes(container["resources"]["limits"]["memory"]) * 0.9
    else:
        tag = container["image"].rsplit(":", 1)[1]
        compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
        assert compose["services"]["router"]["image"].endswith(f":{tag}"), "one router version"


def _env(container: Object) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity[: -len(suffix)]) * factor
    return float(quantity) / 2**20
