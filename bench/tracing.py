"""What tracing costs: one subgraph's throughput with tracing off, on at 10 %, on at 100 %.

Runs the recycling subgraph as a real uvicorn process (one worker, as deployed) three
ways, interleaved over several rounds, and loads it with wrk (Debian package `wrk`) over
keep-alive connections with one small query that reads Postgres. Spans go to an in-process
OTLP receiver (what a collector would get). Prints, per mode (median of rounds), the
subgraph process's CPU time per request — read from its own `process_cpu_seconds_total`,
so other load on a shared machine does not distort it the way it distorts requests/s —
and requests/s, each with the change against "off".
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import bench_stack
from bunri_shared.middleware import GatewaySecretMiddleware
from devstack.embedded import free_port
from devstack.otlp import OtlpReceiver
from devstack.stack import Stack

QUERY = '{"query": "query Categories { wasteCategories { code name(language: EN) } }"}'
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 8


def modes(receiver: OtlpReceiver) -> dict[str, dict[str, str]]:
    on = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "1000"}
    return {
        "off": {},
        "on, 10 % sampled": {
            **on,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
        "on, 100 % sampled": {**on, "OTEL_TRACES_SAMPLER": "parentbased_always_on"},
    }


def cpu_seconds(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return float(re.search(r"^process_cpu_seconds_total ([\d.e+]+)$", text, re.M)[1])


def run(stack: Stack, extra: dict[str, str], script: Path) -> tuple[float, float]:
    """(CPU microseconds per request, requests per second)"""
    subgraph = next(s for s in stack.subgraphs if s.name == "recycling")
    port = free_port()
    env = {**os.environ, **stack.subgraph_env(subgraph), **extra, "BUNRI_LOG_LEVEL": "WARNING"}
    app = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", subgraph.app, "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        warm = ["wrk", "-t1", f"-c{CONNECTIONS}", "-d2s", "-s", str(script), f"{url}/graphql"]
        subprocess.run(warm, check=True, capture_output=True)
        measure = [*warm[:3], f"-d{SECONDS}s", *warm[4:]]
        cpu_before = cpu_seconds(url)
        out = subprocess.run(measure, check=True, capture_output=True, text=True).stdout
        cpu = cpu_seconds(url) - cpu_before
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        assert non_2xx is None, out
        requests = int(re.search(r"(\d+) requests in", out)[1])
        return cpu / requests * 1e6, float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    finally:
        app.terminate()
        app.wait(10)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    with bench_stack() as stack, tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        header = GatewaySecretMiddleware.header
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = '{QUERY}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["{header}"] = "{stack.gateway_secret}"\n'
        )
        receiver = OtlpReceiver().start()
        try:
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in modes(receiver)}
            for _ in range(ROUNDS):  # interleaved: drift on shared cores hits every mode
                for name, extra in modes(receiver).items():
                    results[name].append(run(stack, extra, script))
        finally:
            receiver.stop()
        base_cpu = statistics.median(cpu for cpu, _ in results["off"])
        base_rps = statistics.median(rps for _, rps in results["off"])
        for name, values in results.items():
            cpu = statistics.median(c for c, _ in values)
            rps = statistics.median(r for _, r in values)
            print(
                f"{name:18} {cpu:6.0f} us CPU/request ({(cpu / base_cpu - 1) * 100:+.1f} %)"
                f"  {rps:6.0f} req/s ({(rps / base_rps - 1) * 100:+.1f} %)"
                f"  runs (us): {', '.join(f'{c:.0f}' for c, _ in values)}"
            )
        print(f"spans received: {len(receiver.spans)}")


if __name__ == "__main__":
    main()
