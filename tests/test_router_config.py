"""router/router.yaml (Apollo Router 2.13.1) is valid and fit for a container without GraphOS.

The router expands ${env.NAME} / ${env.NAME:-default} after parsing the YAML and turns an
expanded "true"/"false"/number/null into that type; the expansion below does the same, so
the schema sees what the router would see.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ROUTER_YAML = REPO / "router" / "router.yaml"
SUPERGRAPH_YAML = REPO / "supergraph.yaml"
SCHEMA = REPO / "tests" / "schemas" / "apollo-router-2.13.1.config.schema.json"

# Router options that make Apollo Router refuse to start unless connected to GraphOS.
GRAPHOS_ONLY_LIMITS = {"max_depth", "max_height", "max_aliases", "max_root_fields"}
# Like shellexpand: the name runs to ":-" or the first "}", the default to the first "}".
PLACEHOLDER = re.compile(r"\$\{env\.([A-Za-z0-9_]+)(?::-([^}]*))?\}")


def expand(value: Any, env: dict[str, str]) -> Any:
    """Expand placeholders in every string; a placeholder without default and without a
    value in `env` gets a dummy value."""
    if isinstance(value, dict):
        return {k: expand(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, env) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if env.get(name):
            return env[name]
        return default if default is not None else f"dummy-{name.lower()}"

    expanded = PLACEHOLDER.sub(repl, value)
    if expanded == value:
        return value
    try:
        coerced = yaml.safe_load(expanded)
    except yaml.YAMLError:
        return expanded
    return coerced if coerced is None or isinstance(coerced, bool | int | float) else expanded


def load(env: dict[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load(ROUTER_YAML.read_text(encoding="utf-8"))
    assert isinstance(raw, dict), "router.yaml must be a mapping"
    return expand(raw, env or {})


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMA.exists():
        pytest.skip(f"Apollo Router config schema not found at {SCHEMA} (shared/ not laid out)")
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


ENV_CASES = {
    "defaults": {},
    "everything-on": {
        "BUNRI_GATEWAY_SECRET": "s3cret",
        "BUNRI_CORS_ORIGIN_REGEX": r"^https://app[.]example[.]org$",
        "BUNRI_ROUTER_INTROSPECTION": "true",
        "BUNRI_ROUTER_SANDBOX": "true",
        "BUNRI_ROUTER_SUBSCRIPTIONS": "true",
    },
}


@pytest.mark.parametrize("env", ENV_CASES.values(), ids=ENV_CASES.keys())
def test_router_yaml_matches_schema(schema: dict[str, Any], env: dict[str, str]) -> None:
    config = load(env)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
    )


def test_placeholders_all_use_the_env_form() -> None:
    text = ROUTER_YAML.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for m in re.finditer(r"\$\{[^}]*\}", line):
            assert PLACEHOLDER.fullmatch(m.group(0)), f"unsupported placeholder {m.group(0)}"


def test_supergraph_listener() -> None:
    supergraph = load()["supergraph"]
    assert supergraph["listen"] == "0.0.0.0:4000"
    assert supergraph["path"] == "/graphql"
    assert supergraph.get("introspection") is False, "introspection must be off by default"


def test_health_check_listens_on_all_interfaces() -> None:
    health = load()["health_check"]
    assert health["listen"] == "0.0.0.0:8088"
    assert health.get("enabled", True) is True


def test_no_graphos_only_features() -> None:
    config = load()
    limits = config.get("limits") or {}
    assert not GRAPHOS_ONLY_LIMITS & set(limits), (
        f"GraphOS-only limits set: {sorted(GRAPHOS_ONLY_LIMITS & set(limits))}"
    )
    assert {"parser_max_tokens", "parser_max_recursion", "http_max_request_bytes"} <= set(limits)
    jwt = ((config.get("authentication") or {}).get("router") or {}).get("jwt")
    assert jwt is None, "router JWT authentication needs GraphOS: validate tokens in subgraphs"
    # Subscriptions need GraphOS too: they must be off unless explicitly switched on.
    assert config["subscription"]["enabled"] is False


def test_production_error_and_sandbox_defaults() -> None:
    config = load()
    # Subgraph messages and the contract's extension codes reach clients; nothing else.
    errors = config["include_subgraph_errors"]["all"]
    assert errors["redact_message"] is False
    assert set(errors["allow_extensions_keys"]) >= {"code", "field", "retryAfter"}
    assert config.get("sandbox", {}).get("enabled", False) is False


def test_headers_propagated_and_secret_inserted() -> None:
    rules = load({"BUNRI_GATEWAY_SECRET": "s3cret"})["headers"]["all"]["request"]
    propagated = {
        r["propagate"]["named"].lower() for r in rules if "named" in r.get("propagate", {})
    }
    assert {"authorization", "x-request-id"} <= propagated
    inserts = {
        r["insert"]["name"].lower(): r["insert"].get("value") for r in rules if "insert" in r
    }
    assert inserts.get("x-bunri-gateway-secret") == "s3cret"


def test_subscription_passthrough_covers_every_subgraph() -> None:
    if not SUPERGRAPH_YAML.exists():
        pytest.skip("supergraph.yaml not written yet")
    names = set(yaml.safe_load(SUPERGRAPH_YAML.read_text(encoding="utf-8"))["subgraphs"])
    passthrough = load()["subscription"]["mode"]["passthrough"]
    configured = passthrough.get("subgraphs") or {}
    if passthrough.get("all") is None:
        missing = names - set(configured)
        assert not missing, f"subgraphs without WebSocket passthrough: {sorted(missing)}"
    unknown = set(configured) - names
    assert not unknown, f"passthrough for subgraphs not in supergraph.yaml: {sorted(unknown)}"
    entries = dict(configured)
    if passthrough.get("all"):
        entries["all"] = passthrough["all"]
    for name, ws in entries.items():
        # graphql_ws = the modern graphql-transport-ws subprotocol (the only one subgraphs speak)
        assert ws.get("protocol", "graphql_ws") == "graphql_ws", name
        assert ws.get("path") in (None, "/graphql"), name
