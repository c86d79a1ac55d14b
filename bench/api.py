"""Throughput of the API on this machine, direct to a subgraph and through the gateway.

Starts its own stack, then drives each operation with wrk (BENCH_CONNECTIONS connections,
default 20, for BENCH_SECONDS, default 10) and prints req/s, p50 and p99, the CPU each
process spent per request (from /proc), and the ratios the performance targets are stated
in: against the same subgraph process's plain `/health` (the floor) and gateway ÷ direct.
Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import bench_log_dir, bench_stack
from devstack.embedded import free_port
from devstack.paths import SUPERGRAPH_SDL
from devstack.stack import Stack
from devstack.testing import RunningProcess, running_processes

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "20"))
TICKS = os.sysconf("SC_CLK_TCK")

LIST = "{ wasteCategories { code name } }"
README = """{ wasteCategories { code name(language: EN)
  dropOffPointsNear(latitude: 37.5665, longitude: 126.9780, radiusMeters: 50000, first: 2) {
    distanceMeters point { name address acceptedCategories { code } } } } }"""
SEARCH = '{ searchDisposalItems(query: "페트병") { name category { code } } }'


@dataclass
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_ms: dict[str, float]


def _wrk(url: str, *, body: str | None, headers: dict[str, str], connections: int) -> str:
    """`body` may contain LATITUDE: each request then asks for another random position
    (a question no cache has seen)."""
    script = "wrk.method = 'POST'\n" if body is not None else ""
    for name, value in headers.items():
        script += f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n"
    if body is not None and "LATITUDE" in body:
        head, tail = body.split("LATITUDE")
        script += (
            "request = function()\n"
            f"  local body = {json.dumps(head)}"
            " .. string.format('%.6f', 37.4 + math.random() * 0.3)"
            f" .. {json.dumps(tail)}\n"
            "  return wrk.format(nil, nil, nil, body)\nend\n"
        )
    elif body is not None:
        script += f"wrk.body = {json.dumps(body)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        done = subprocess.run(
            ["wrk", "-t", str(min(2, connections)), "-c", str(connections),
             "-d", f"{SECONDS}s", "--latency", "-s", lua.name, url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        Path(lua.name).unlink()
    return done.stdout


def _field(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.M)
    if found is None:
        raise ValueError(pattern)
    return found.group(1)


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise ValueError(text)
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _cpu_ticks(pids: dict[str, list[int]]) -> dict[str, int]:
    ticks: dict[str, int] = {}
    for name, group in pids.items():
        total = 0
        for pid in group:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        ticks[name] = total
    return ticks


def _process_groups(processes: dict[str, RunningProcess]) -> dict[str, list[int]]:
    """Each stack process with its children (workers fork), and Postgres's processes."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(tail.split()[1])
        names[int(stat.parent.name)] = head.split("(", 1)[1]
    groups: dict[str, list[int]] = {}
    for name, process in processes.items():
        members = [process.popen.pid]
        members += [pid for pid, parent in parents.items() if parent == process.popen.pid]
        groups[name] = members
    groups["postgres"] = [pid for pid, comm in names.items() if comm == "postgres"]
    return groups


def measure(
    url: str,
    *,
    body: str | None,
    headers: dict[str, str],
    groups: dict[str, list[int]],
    connections: int = CONNECTIONS,
) -> Figures:
    before = _cpu_ticks(groups)
    out = _wrk(url, body=body, headers=headers, connections=connections)
    after = _cpu_ticks(groups)
    try:
        rate = float(_field(r"Requests/sec:\s+([\d.]+)", out))
        requests = int(_field(r"(\d+) requests in", out))
        # The "Latency Distribution" lines, not a "+/- Stdev" column that ends in 50%.
        p50 = _ms(_field(r"^\s+50(?:\.0+)?%\s+(\S+)\s*$", out))
        p99 = _ms(_field(r"^\s+99(?:\.0+)?%\s+(\S+)\s*$", out))
    except ValueError:
        sys.exit(f"could not read wrk's output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  !! {errors.group(1)} non-2xx responses", file=sys.stderr)
    cpu = {
        name: (after[name] - before[name]) * 1000 / TICKS / max(requests, 1)
        for name in groups
        if after[name] - before[name] > 0
    }
    return Figures(rate, p50, p99, requests, cpu)


def _graphql(query: str) -> str:
    return json.dumps({"query": query})


@contextmanager
def _uncached_gateway(stack: Stack, log_dir: Path) -> Iterator[tuple[str, RunningProcess]]:
    """A second gateway with no response cache: what every answer costs when it is
    computed (and the figure to compare with the first wave's)."""
    port = free_port()
    spec = stack.gateway_process(
        SUPERGRAPH_SDL, name="gateway-uncached", port=port,
        extra_env={"BUNRI_RESPONSE_CACHE": "false"},
    )  # fmt: skip
    process = RunningProcess(spec, log_dir)
    try:
        process.wait_healthy()
        yield f"http://127.0.0.1:{port}/graphql", process
    finally:
        process.stop()


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    with (
        bench_stack() as stack,
        running_processes(stack, bench_log_dir()) as processes,
        _uncached_gateway(stack, bench_log_dir()) as (uncached, uncached_process),
    ):
        groups = _process_groups({**processes, "gateway-uncached": uncached_process})
        secret = {"X-Bunri-Gateway-Secret": stack.gateway_secret}
        json_headers = {"Content-Type": "application/json"}
        recycling = next(s for s in stack.subgraphs if s.name == "recycling")
        direct = recycling.local_url()
        gateway = stack.gateway_url
        to_subgraph = {**json_headers, **secret}
        readme_anywhere = README.replace("37.5665", "LATITUDE")
        plan = {
            "/health (recycling, the floor)": (direct.removesuffix("/graphql") + "/health",
                                               None, {}, CONNECTIONS),
            "list direct": (direct, _graphql(LIST), to_subgraph, CONNECTIONS),
            "list gateway": (gateway, _graphql(LIST), json_headers, CONNECTIONS),
            "list gateway, no cache": (uncached, _graphql(LIST), json_headers, CONNECTIONS),
            "README gateway": (gateway, _graphql(README), json_headers, CONNECTIONS),
            "README gateway, no cache": (uncached, _graphql(README), json_headers, CONNECTIONS),
            "README gateway, new position each": (gateway, _graphql(readme_anywhere),
                                                  json_headers, CONNECTIONS),
            "search direct": (direct, _graphql(SEARCH), to_subgraph, CONNECTIONS),
            "search gateway": (gateway, _graphql(SEARCH), json_headers, CONNECTIONS),
            "search gateway, no cache": (uncached, _graphql(SEARCH), json_headers, CONNECTIONS),
            "{ __typename } direct, 1 connection": (direct, _graphql("{ __typename }"),
                                                    to_subgraph, 1),
        }  # fmt: skip
        # Warm every path once (parser and validation caches, connection pools, catalogue).
        for url, body, headers, _ in plan.values():
            if body is None:
                httpx.get(url)
            else:
                httpx.post(url, content=body.replace("LATITUDE", "37.5"), headers=headers)
        print(f"wrk, {CONNECTIONS} connections, {SECONDS} s per operation, one run")
        print("list = { wasteCategories { code name } }; README = the README's federated query")
        print('search = searchDisposalItems("페트병"); no cache = a gateway without one\n')
        print(f"{'operation':<38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  CPU ms/request")
        rows: dict[str, Figures] = {}
        for label, (url, body, headers, connections) in plan.items():
            figures = measure(
                url, body=body, headers=headers, groups=groups, connections=connections
            )
            rows[label] = figures
            cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in sorted(figures.cpu_ms.items()))
            print(
                f"{label:<38} {figures.rate:>8.0f} {figures.p50_ms:>8.1f} "
                f"{figures.p99_ms:>8.1f}  {cpu}"
            )
        _print_ratios(rows)


def _print_ratios(rows: dict[str, Figures]) -> None:
    floor = rows["/health (recycling, the floor)"].rate

    def share(label: str) -> str:
        return f"{rows[label].rate / floor:7.1%}"

    print("\nratios (targets from issue 10):")
    print(f"  list direct / /health                     {share('list direct')}  (>= 25 %)")
    print(f"  README gateway / /health                  {share('README gateway')}  (>= 6 %)")
    print(f"  README gateway, no cache / /health        {share('README gateway, no cache')}")
    print(f"  README new position each / /health       "
          f"{share('README gateway, new position each')}")  # fmt: skip
    for label in ("README gateway", "README gateway, no cache"):
        print(f"  {label} p99, {CONNECTIONS} connections  {rows[label].p99_ms:9.1f} ms  (<= 100)")
    for label in ("list gateway", "list gateway, no cache"):
        overhead = rows["list direct"].rate / rows[label].rate
        print(f"  {label} overhead (direct ÷ gateway)  {overhead:5.2f}x  (<= 1.5)")


if __name__ == "__main__":
    main()
