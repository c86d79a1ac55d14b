"""Dashboards and alert rules (deploy/observability) checked against the running code.

Alert rules are parsed and their PromQL parsed by a real PromQL parser (promql-parser, the
Rust parser behind GreptimeDB); every metric a rule or a dashboard panel names must be one
that the stack exports: read from the live /metrics of every subgraph, worker and the
gateway, plus Apollo Router's, derived from the instruments router.yaml configures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devstack.testing import RunningStack, graphql, sign_up

from .telemetry_flow import final_status, start_analysis

REPO = Path(__file__).resolve().parents[1]
OBSERVABILITY = REPO / "deploy" / "observability"
ALERTS = OBSERVABILITY / "prometheus" / "alerts.yml"
DASHBOARDS = sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))
# Series Prometheus makes itself, not any process.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds"}
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum")}


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            found += [(path.name, panel["title"], t["expr"]) for t in panel["targets"]]
    return found


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name or next(
                (m.value for m in node.matchers.matchers if m.name == "__name__"), None
            )
            assert name, f"selector without a metric name in {expr!r}"
            names.add(name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def exposed(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ())}
        names |= {sample.name for sample in family.samples}
    return names


def apollo_router_names() -> set[str]:
    """Prometheus names of the instruments router.yaml configures (the router exports
    `a.b.c` as `a_b_c`, a duration histogram with `_seconds`, a counter with `_total`)."""
    router = yaml.safe_load((REPO / "router" / "router.yaml").read_text())
    names = set()
    for instruments in router["telemetry"]["instrumentation"]["instruments"].values():
        for name, spec in instruments.items():
            base = name.replace(".", "_")
            if name.endswith(".duration"):
                base += "_seconds"
                names |= {base + suffix for suffix in SUFFIXES["histogram"]}
            elif isinstance(spec, dict) and spec.get("type") == "counter":
                names.add(base + "_total")
    return names


@pytest.fixture(scope="module")
def exported(running: RunningStack) -> set[str]:
    """Every metric name the running stack exposes, after the traffic that creates them."""
    token = sign_up(running)["accessToken"]
    analysis_id = start_analysis(running, token)
    assert final_status(running, token, analysis_id) == "SUCCEEDED"
    graphql(running.gateway_url, "query Categories { wasteCategories { code } }")
    urls = [running.metrics_url(s.name) for s in running.stack.subgraphs]
    urls += [running.worker_metrics_url(s.name) for s in running.stack.subgraphs if s.has_worker]
    urls.append(running.gateway_url.removesuffix("/graphql") + "/metrics")
    names = set(PROMETHEUS_OWN) | apollo_router_names()
    for url in urls:
        names |= exposed(httpx.get(url, timeout=10).text)
    return names


def test_alert_rules_are_well_formed() -> None:
    found = rules()
    names = [rule["alert"] for rule in found]
    assert len(names) == len(set(names)), "alert names must be unique"
    for rule in found:
        promql_parser.parse(rule["expr"])  # raises on invalid PromQL
        if "for" in rule:
            promql_parser.parse_duration(rule["for"])
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    # The list: error ratio, p99 latency, backlog age, dead letters, heartbeat,
    # restarts.
    assert {
        "BunriHighErrorRatio",
        "BunriHighLatencyP99",
        "BunriQueueBacklogOld",
        "BunriDeadLettersGrowing",
        "BunriWorkerHeartbeatStale",
        "BunriProcessRestarting",
    } <= set(names)


def test_invalid_promql_is_caught_by_the_parser() -> None:
    with pytest.raises(Exception):  # noqa: B017 (the parser raises its own error types)
        promql_parser.parse("sum by (service (rate(x[5m]))")


def test_dashboards_are_grafana_json_with_prometheus_queries() -> None:
    assert {p.stem for p in DASHBOARDS} >= {"api-overview", "subgraphs", "workers", "analyses"}
    uids = [json.loads(p.read_text())["uid"] for p in DASHBOARDS]
    assert len(uids) == len(set(uids))
    for path, title, expr in dashboard_queries():
        promql_parser.parse(expr)
        assert title, path


def test_every_rule_and_panel_names_an_exported_metric(exported: set[str]) -> None:
    wanted = {(f"alert {r['alert']}", n) for r in rules() for n in metric_names(r["expr"])}
    wanted |= {(f"{p}: {t}", n) for p, t, e in dashboard_queries() for n in metric_names(e)}
    missing = sorted((where, name) for where, name in wanted if name not in exported)
    assert not missing, missing
