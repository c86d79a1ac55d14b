"""The GitHub Actions workflows are valid (checked against the vendored schema, offline)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from devstack.paths import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


def test_workflows_follow_the_github_actions_schema() -> None:
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "schema.yml", "images.yml"}
    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_the_readme_commands_and_the_schema_check_runs_on_pull_requests() -> None:
    ci = yaml.safe_load((REPO_ROOT / ".github/workflows/ci.yml").read_text())
    commands = [step.get("run") for job in ci["jobs"].values() for step in job.get("steps", [])]
    assert "make test" in commands and "make lint" in commands
    schema = (REPO_ROOT / ".github/workflows/schema.yml").read_text()
    assert "pull_request" in schema and "make schema-check" in schema


def test_image_builds_are_filtered_per_service() -> None:
    images = yaml.safe_load((REPO_ROOT / ".github/workflows/images.yml").read_text())
    filters = yaml.safe_load(images["jobs"]["changes"]["steps"][1]["with"]["filters"])
    for name in ("auth", "users", "waste", "recycling", "locations"):
        assert f"subgraphs/{name}/**" in filters[name]
        assert not any(
            f"subgraphs/{other}/**" in filters[name] for other in filters if other != name
        )


def _workflow(name: str) -> dict:
    return yaml.safe_load((REPO_ROOT / ".github/workflows" / name).read_text())


def test_images_are_pushed_only_after_lint_and_tests_pass() -> None:
    ci = _workflow("ci.yml")
    images = ci["jobs"]["images"]
    assert images["uses"] == "./.github/workflows/images.yml"
    assert set(images["needs"]) == {"lint", "test"}
    # Only callable: no trigger of its own that could push an untested image. (PyYAML reads
    # the key `on` as True.)
    assert set(_workflow("images.yml")[True]) == {"workflow_call"}


def test_deploy_changes_render_and_validate_the_manifests() -> None:
    deploy = _workflow("deploy.yml")
    for event in ("push", "pull_request"):
        assert "deploy/**" in deploy[True][event]["paths"]
    runs = " ".join(step.get("run", "") for step in deploy["jobs"]["manifests"]["steps"])
    assert "make setup" in runs and "kubectl kustomize" in runs
    assert "tests/test_kubernetes.py" in runs and "tests/test_kubernetes_policies.py" in runs


def test_one_supported_node_lts_in_ci_and_the_gateway_image() -> None:
    """Node 20 left support in April 2026: an even (LTS) major of 22 or later everywhere."""
    majors = set()
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/setup-node"):
                    majors.add(int(str(step["with"]["node-version"]).split(".")[0]))
    dockerfile = (REPO_ROOT / "router" / "Dockerfile").read_text()
    (image,) = re.findall(r"^FROM node:(\d+)\.", dockerfile, flags=re.MULTILINE)
    majors.add(int(image))
    assert len(majors) == 1, majors
    (major,) = majors
    assert major >= 22 and major % 2 == 0, major


def test_dependabot_keeps_images_python_npm_and_actions_current() -> None:
    config = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert {"docker", "docker-compose", "uv", "npm", "github-actions"} <= ecosystems
    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
