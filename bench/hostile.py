"""Normal clients next to hostile ones, through the real gateway.

Two rounds of BENCH_SECONDS (default 60) each on one stack: first 20 clients sending the
README's federated query alone; then the same 20 next to 20 hostile clients sending
operations the cost budget refuses (the issue-9 shapes) and expensive ones it allows.
Prints the normal clients' p50/p99 and errors in both rounds, their ratio, what the
hostile clients got, and the peak RSS (VmHWM) of every process of the stack.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.common import bench_log_dir, bench_stack, process_tree, summary
from devstack.paths import SUPERGRAPH_SDL
from devstack.testing import running_processes

SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
CLIENTS = 20
README_QUERY = """{ wasteCategories { code name(language: EN)
  dropOffPointsNear(latitude: 37.5665, longitude: 126.9780, radiusMeters: 50000, first: 2) {
    distanceMeters point { name address acceptedCategories { code } } } } }"""
NEAR = "dropOffPointsNear(latitude:37.55, longitude:126.95, radiusMeters:100000, first:{n})"
HOSTILE = [
    # refused: the query that took the stack down, a two-level one, an alternating chain
    "{ wasteCategories { " + NEAR.format(n=50) + " { point { name acceptedCategories { "
    + NEAR.format(n=50) + " { point { name acceptedCategories { "
    + NEAR.format(n=50) + " { point { name acceptedCategories { code } } } } } } } } } } }",
    "{ wasteCategories { " + NEAR.format(n=50) + " { point { name acceptedCategories { "
    + NEAR.format(n=50) + " { point { name } } } } } } }",
    "{ wasteCategories { " + NEAR.format(n=10) + " { point { acceptedCategories { parent { "
    + NEAR.format(n=10) + " { point { acceptedCategories { code } } } } } } } } }",
    # allowed but as expensive as a page may be: 50 points with their categories' names
    "{ dropOffPointsNear(latitude: 37.55, longitude: 126.95, radiusMeters: 100000, first: 50) "
    "{ distanceMeters point { name isOpenNow acceptedCategories { code name } } } }",
]  # fmt: skip


def _client(url: str, queries: list[str], stop: threading.Event, out: list[tuple]) -> None:
    with httpx.Client(timeout=60) as client:
        for query in itertools.cycle(queries):
            if stop.is_set():
                return
            started = time.perf_counter()
            try:
                body = client.post(url, json={"query": query}).json()
                codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or ()]
                outcome = codes[0] if codes else "ok"
            except (httpx.HTTPError, ValueError) as error:
                outcome = type(error).__name__
            out.append(((time.perf_counter() - started) * 1000, outcome))


def _round(url: str, hostile: bool) -> tuple[list[tuple], list[tuple]]:
    stop = threading.Event()
    normal: list[tuple] = []
    bad: list[tuple] = []
    threads = [
        threading.Thread(target=_client, args=(url, [README_QUERY], stop, normal))
        for _ in range(CLIENTS)
    ]
    if hostile:
        threads += [
            threading.Thread(target=_client, args=(url, HOSTILE[i % 4 :] + HOSTILE, stop, bad))
            for i in range(CLIENTS)
        ]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    return normal, bad


def _peak_rss_kib(pid: int) -> int:
    """VmHWM of a process and all its descendants (workers fork), summed."""
    total = 0
    for current in process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _report(label: str, samples: list[tuple]) -> None:
    outcomes = Counter(outcome for _, outcome in samples)
    print(f"  {label}: {summary([ms for ms, _ in samples])}; outcomes {dict(outcomes)}")


def main() -> None:
    with bench_stack() as stack, running_processes(stack, bench_log_dir()) as procs:
        url = stack.gateway_url
        httpx.post(url, json={"query": README_QUERY}, timeout=30)  # warm caches
        print(f"{CLIENTS} normal clients, {SECONDS:g} s per round, supergraph {SUPERGRAPH_SDL}")
        quiet, _ = _round(url, hostile=False)
        print("round 1: normal clients alone")
        _report("normal", quiet)
        loud, bad = _round(url, hostile=True)
        print(f"round 2: the same next to {CLIENTS} hostile clients")
        _report("normal", loud)
        _report("hostile", bad)

        def p99(samples: list[tuple]) -> float:
            ordered = sorted(ms for ms, _ in samples)
            return ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]

        print(f"normal p99 with hostile clients / alone: {p99(loud) / p99(quiet):.2f}x")
        errors = sum(1 for _, outcome in loud if outcome != "ok")
        print(f"normal clients' errors with hostile clients: {errors}")
        print("peak RSS (VmHWM, process and children):")
        for name, process in procs.items():
            print(f"  {name:<18} {_peak_rss_kib(process.popen.pid) / 1024:8.1f} MiB")


if __name__ == "__main__":
    main()
