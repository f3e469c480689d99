"""Throughput and p99 latency of `bandcoach serve` against the floor skill, with wrk at equal concurrency.

Run `python bench/bench_http.py [--rounds 5] [--seconds 5] [--connections 8] [--threads 4] [--quick]`;
prints a markdown table. Both servers run side by side with the same number of WSGI threads and their
wrk runs are interleaved round by round, so machine noise hits both alike; each figure is the median
of the rounds. Targets: at least 0.8x the floor's requests/s and a p99 under 2x the floor's. The
server's CPU time per request (user + system, from /proc) says whether a gap is work or waiting.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from harness import THREADS, cpu_seconds, envelopes, log, median, running, table, verdict, wrk

RPS_TARGET = 0.8
P99_TARGET = 2.0
# (label, server, envelope, the floor case it is compared with)
CASES = (
    ("floor: LaunchRequest", "floor", "launch", None),
    ("floor: HelloIntent", "floor", "floor_intent", None),
    ("Band Coach: LaunchRequest", "bandcoach", "launch", "floor: LaunchRequest"),
    ("Band Coach: StartRoutineIntent", "bandcoach", "start", "floor: HelloIntent"),
    ("Band Coach: AMAZON.NextIntent (state on)", "bandcoach", "next", "floor: HelloIntent"),
)


Result = tuple[float, float, float]  # requests/s, p99 ms, server CPU µs per request


def measure(rounds: int, seconds: float, connections: int, threads: int = THREADS) -> dict[str, list[Result]]:
    """(requests/s, p99 ms, CPU µs per request) per case and round, the cases interleaved within each round."""
    bodies = envelopes()
    results: dict[str, list[Result]] = defaultdict(list)
    with running("floor", threads) as floor, running("bandcoach", threads) as bandcoach:
        servers = {"floor": floor, "bandcoach": bandcoach}
        for _label, server, body, _ in CASES:  # warm-up: imports, caches, SQLite file
            wrk(servers[server].alexa_url, bodies[body], seconds=1, connections=connections)
        for number in range(rounds):
            order = CASES if number % 2 == 0 else tuple(reversed(CASES))
            for label, server, body, _ in order:
                pid = servers[server].proc.pid
                cpu_before = cpu_seconds(pid)
                result = wrk(servers[server].alexa_url, bodies[body], seconds=seconds, connections=connections)
                if result.errors:
                    raise SystemExit(f"{label}: {result.errors} errors or non-2xx answers under load")
                cpu_us = (cpu_seconds(pid) - cpu_before) * 1e6 / max(1, result.requests)
                results[label].append((result.requests_per_second, result.p99_ms, cpu_us))
                log(f"round {number + 1}/{rounds} {label}: {result.requests_per_second:.0f} req/s, "
                    f"p99 {result.p99_ms:.1f} ms, {cpu_us:.0f} µs CPU per request")
    return results


def report(results: dict[str, list[Result]], connections: int, threads: int = THREADS) -> str:
    rows = []
    for label, _server, _body, floor in CASES:
        rps, p99, cpu = (median([r[i] for r in results[label]]) for i in range(3))
        if floor is None:
            rows.append([label, f"{rps:.0f}", f"{p99:.1f}", f"{cpu:.0f}", "1.00x (floor)", "1.00x (floor)", ""])
            continue
        rps_ratio = rps / median([r[0] for r in results[floor]])
        p99_ratio = p99 / median([r[1] for r in results[floor]])
        rows.append([label, f"{rps:.0f}", f"{p99:.1f}", f"{cpu:.0f}", f"{rps_ratio:.2f}x", f"{p99_ratio:.2f}x",
                     f"req/s {verdict(rps_ratio, RPS_TARGET, higher_is_better=True)} >= {RPS_TARGET}x; "
                     f"p99 {verdict(p99_ratio, P99_TARGET, higher_is_better=False)} < {P99_TARGET}x"])
    rounds = len(next(iter(results.values())))
    heading = (f"## Throughput and latency (wrk, {connections} connections, {threads} server threads, median of "
               f"{rounds} interleaved rounds)\n\n")
    return heading + table(["case", "req/s", "p99 ms", "server CPU µs/req", "req/s vs floor", "p99 vs floor",
                            "target"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="Length of each wrk run.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=THREADS, help="WSGI threads of both servers.")
    parser.add_argument("--quick", action="store_true", help="One short round: checks the harness, not speed.")
    args = parser.parse_args()
    rounds, seconds = (1, 1.0) if args.quick else (args.rounds, args.seconds)
    print(report(measure(rounds, seconds, args.connections, args.threads), args.connections, args.threads))


if __name__ == "__main__":
    main()
