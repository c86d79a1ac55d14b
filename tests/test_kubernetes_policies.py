"""deploy/kubernetes: who may talk to whom (NetworkPolicies, evaluated here), that no
Secret value is ever in the manifests, and that the images are the ones CI pushes."""

from __future__ import annotations

import ipaddress
import itertools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.paths import REPO_ROOT
from devstack.subgraphs import load_subgraphs

from ._kubernetes import KUBERNETES, OVERLAYS, Object, containers, kustomize, of_kind, render

SUBGRAPHS = [s.name for s in load_subgraphs()]
NAMESPACE = "bunri"
INGRESS_NAMESPACE = "traefik"
POD_ADDRESSES = ipaddress.ip_network("10.0.0.0/8")
# Env var names whose values are credentials: they must come from a Secret.
SECRET_NAME = re.compile(
    r"PASSWORD|SECRET|TOKEN|API_KEY|SIGNING_KEY|ACCESS_KEY|DATABASE_URL|REDIS_URL"
)


# --- a small NetworkPolicy evaluator (pods of one namespace, TCP) ---------------------------


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def _peer_admits(peer: dict[str, Any], labels: dict[str, str], namespace: str) -> bool:
    if "ipBlock" in peer:
        # Pods get addresses from a private block (10.0.0.0/8 assumed): an ipBlock covering
        # it admits every pod.
        block = peer["ipBlock"]
        covers = POD_ADDRESSES.subnet_of(ipaddress.ip_network(block["cidr"]))  # type: ignore[arg-type]
        excepted = any(
            POD_ADDRESSES.overlaps(ipaddress.ip_network(e)) for e in block.get("except", [])
        )
        return covers and not excepted
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": namespace}
        if not _matches(peer["namespaceSelector"], namespace_labels):
            return False
    elif namespace != NAMESPACE:
        return False
    return _matches(peer.get("podSelector", {}), labels)


def _rule_admits(
    rule: dict[str, Any], peer_key: str, labels: dict[str, str], ns: str, port: int
) -> bool:
    ports = rule.get("ports")
    if ports and not any(
        p.get("port") == port and p.get("protocol", "TCP") == "TCP" for p in ports
    ):
        return False
    peers = rule.get(peer_key)
    return not peers or any(_peer_admits(p, labels, ns) for p in peers)


def allowed(
    policies: list[Object],
    source: dict[str, str],
    target: dict[str, str],
    port: int,
    source_namespace: str = NAMESPACE,
) -> bool:
    """May a pod labelled `source` open a TCP connection to `target`'s `port`?"""

    def direction(kind: str, subject: dict[str, str], peer: dict[str, str], ns: str) -> bool:
        selecting = [
            p
            for p in policies
            if kind in p["spec"].get("policyTypes", ["Ingress"])
            and _matches(p["spec"]["podSelector"], subject)
        ]
        if not selecting:
            return True
        key, peer_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
        return any(
            _rule_admits(rule, peer_key, peer, ns, port)
            for p in selecting
            for rule in p["spec"].get(key, [])
        )

    egress = source_namespace != NAMESPACE or direction("Egress", source, target, NAMESPACE)
    return egress and direction("Ingress", target, source, source_namespace)


def _pods(objects: list[Object]) -> dict[str, dict[str, str]]:
    return {
        workload["metadata"]["name"]: workload["spec"]["template"]["metadata"]["labels"]
        for workload, _ in containers(objects)
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_forbid_subgraph_to_subgraph(overlay: str) -> None:
    objects = render(overlay)
    policies = list(of_kind(objects, "NetworkPolicy").values())
    pods = _pods(objects)
    assert any(
        p["spec"]["podSelector"] == {}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
        for p in policies
    ), "no default deny"

    for source, target in itertools.permutations(SUBGRAPHS, 2):
        reachable = allowed(policies, pods[source], pods[target], 8000)
        # The only exception: auth's public keys (JWKS), see network-policies.yaml.
        assert reachable == (target == "auth"), f"{source} -> {target}: {reachable}"
    for name in SUBGRAPHS:
        assert allowed(policies, pods["gateway"], pods[name], 8000), f"gateway -> {name}"
        for worker in ("users-worker", "waste-worker"):
            assert not allowed(policies, pods[worker], pods[name], 8000), f"{worker} -> {name}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_and_uploads_are_reachable_from_the_ingress(overlay: str) -> None:
    objects = render(overlay)
    policies = list(of_kind(objects, "NetworkPolicy").values())
    controller = {"app.kubernetes.io/name": "traefik"}
    for name, labels in _pods(objects).items():
        reachable = {
            port
            for port in (4000, 8000, 5432, 6379)
            if allowed(policies, controller, labels, port, source_namespace=INGRESS_NAMESPACE)
        }
        expected = {"gateway": {4000}, "waste": {8000}}.get(name, set())
        assert reachable == expected, (name, reachable)


@pytest.mark.parametrize("overlay", ["dev"])
def test_the_app_reaches_its_data_stores(overlay: str) -> None:
    objects = render(overlay)
    policies = list(of_kind(objects, "NetworkPolicy").values())
    pods = _pods(objects)
    for name in [*SUBGRAPHS, "users-worker", "waste-worker", "migrate"]:
        assert allowed(policies, pods[name], pods["postgres"], 5432), name
        assert allowed(policies, pods[name], pods["redis"], 6379), name
    assert not allowed(policies, pods["gateway"], pods["postgres"], 5432)


# --- secrets ----------------------------------------------------------------------------------


def _secret_refs(objects: list[Object]) -> set[str]:
    names = set()
    for workload, container in containers(objects):
        names |= {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}
        names |= {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        names |= {
            v["secret"]["secretName"]
            for v in workload["spec"]["template"]["spec"].get("volumes", [])
            if "secret" in v
        }
    for auth in of_kind(objects, "TriggerAuthentication").values():
        names |= {ref["name"] for ref in auth["spec"]["secretTargetRef"]}
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_value_is_in_the_manifests(overlay: str) -> None:
    objects = render(overlay)
    assert not of_kind(objects, "Secret"), "Secrets are applied separately, never rendered"
    for workload, container in containers(objects):
        for variable in container.get("env", []):
            if SECRET_NAME.search(variable["name"]):
                assert "secretKeyRef" in variable.get("valueFrom", {}), (
                    workload["metadata"]["name"],
                    variable["name"],
                )
    for config in of_kind(objects, "ConfigMap").values():
        leaked = [key for key in config.get("data", {}) if SECRET_NAME.search(key)]
        assert not leaked, (config["metadata"]["name"], leaked)


def test_secrets_are_generated_only_from_git_ignored_files(tmp_path: Path) -> None:
    source = KUBERNETES / "secrets"
    kustomization = yaml.safe_load((source / "kustomization.yaml").read_text())
    generated = set()
    for generator in kustomization["secretGenerator"]:
        assert set(generator) <= {"name", "envs", "files", "type"}, "no literals"
        generated.add(generator["name"])
        for file in generator.get("envs", []) + generator.get("files", []):
            path = source / file.split("=")[-1]
            ignored = subprocess.run(
                ["git", "check-ignore", "-q", str(path)], cwd=REPO_ROOT, check=False
            )
            assert ignored.returncode == 0, f"{path} is not ignored by git"
            example = (source / "examples" / path.name).read_text()
            for line in example.splitlines():
                if SECRET_NAME.search(line.split("=")[0]) and not line.startswith("#"):
                    assert line.endswith("="), f"example with a value: {line}"

    # The examples render, and give every Secret the manifests refer to (auth's signing keys
    # are files: `kubectl create secret generic bunri-auth-keys --from-file=…`).
    copy = tmp_path / "secrets"
    shutil.copytree(source, copy)
    shutil.copytree(source / "examples", copy / "env")
    rendered = {o["metadata"]["name"] for o in kustomize(copy) if o["kind"] == "Secret"}
    assert rendered == generated
    for overlay in OVERLAYS:
        assert _secret_refs(render(overlay)) - generated == {"bunri-auth-keys"}, overlay
    assert "bunri-auth-keys" in (source / "kustomization.yaml").read_text()


# --- images -----------------------------------------------------------------------------------


def ci_images() -> tuple[str, set[str]]:
    """What .github/workflows/images.yml pushes: the tag template and the service names."""
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/images.yml").read_text())
    services = set(yaml.safe_load(workflow["jobs"]["changes"]["steps"][1]["with"]["filters"]))
    (step,) = [s for s in workflow["jobs"]["build"]["steps"] if "build-push-action" in s["uses"]]
    return step["with"]["tags"], services


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_the_ones_ci_pushes(overlay: str) -> None:
    tags, services = ci_images()
    assert "ghcr.io/${{ github.repository }}/${{ matrix.service }}:${{ github.sha }}" in tags
    assert "ghcr.io/${{ github.repository }}/${{ matrix.service }}:main" in tags
    ours = re.compile(r"ghcr\.io/(?P<repository>[\w.-]+/[\w.-]+)/(?P<service>[\w-]+):(?P<tag>.+)")
    repositories, used = set(), set()
    for _, container in containers(render(overlay)):
        image = container["image"]
        match = ours.fullmatch(image)
        if match is None or match["repository"] == "apollographql/router":
            assert image.count(":") == 1 and not image.startswith("bunri/"), image
            continue
        assert match["service"] in services, image
        assert match["tag"] == "main" or re.fullmatch(r"[0-9a-f]{40}", match["tag"]), image
        repositories.add(match["repository"])
        used.add(match["service"])
    assert len(repositories) == 1, f"one registry prefix, not {repositories}"
    assert {*SUBGRAPHS, "tools"} <= used
