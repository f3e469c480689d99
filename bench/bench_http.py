"""Throughput and p99 latency of `bandcoach serve` against the floor skill, with wrk at equal concurrency.

Run `python bench/bench_http.py [--rounds 5] [--seconds 5] [--connections 8] [--threads 4] [--quick]`;
prints a markdown table. Three servers run side by side with the same number of WSGI threads: the
floor, Band Coach on a realistic store (each of the 1,000 runners the requests come from first gets a
history of 0-700 finished workouts, harness.seed_runners) and Band Coach on an empty store (the
second row of each case). Their wrk runs are interleaved round by round, so machine noise hits all
alike; each figure is the median of the rounds. Besides single requests, "workout mix" sends one
conversation round and round (launch, start, next x5, stop; the floor: launch, hello x7).
Targets, on the realistic store: at least 0.8x the floor's requests/s and a p99 under 2x the floor's.
The server's CPU time per request (user + system, from /proc) says whether a gap is work or waiting.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from harness import (
    FLOOR_MIX,
    MIX,
    THREADS,
    load,
    log,
    median,
    running,
    seed_runners,
    table,
    verdict,
)

RPS_TARGET = 0.8
P99_TARGET = 2.0
STORES = (("realistic", "runners with 0-700 workouts"), ("empty", "empty store"))
# (label, server, request or mix, the floor case it is compared with)
FLOOR_CASES = (
    ("floor: LaunchRequest", "floor", ("launch",), None),
    ("floor: HelloIntent", "floor", ("floor_intent",), None),
    ("floor: mix (launch, hello x7)", "floor", FLOOR_MIX, None),
)
CASES = FLOOR_CASES + tuple(
    (f"Band Coach, {label}: {name}", store, bodies, floor)
    for store, label in STORES
    for name, bodies, floor in (
        ("LaunchRequest", ("launch",), "floor: LaunchRequest"),
        ("StartRoutineIntent", ("start",), "floor: HelloIntent"),
        ("AMAZON.NextIntent", ("next",), "floor: HelloIntent"),
        ("workout mix (launch, start, next x5, stop)", MIX, "floor: mix (launch, hello x7)"),
    ))


Result = tuple[float, float, float]  # requests/s, p99 ms, server CPU µs per request


def measure(rounds: int, seconds: float, connections: int, threads: int = THREADS) -> dict[str, list[Result]]:
    """(requests/s, p99 ms, CPU µs per request) per case and round, the cases interleaved within each round."""
    results: dict[str, list[Result]] = defaultdict(list)
    log("seeding 1,000 runners with 0-700 workouts each...")
    with running("floor", threads) as floor, running("bandcoach", threads, seed=seed_runners) as realistic, \
            running("bandcoach", threads) as empty:
        servers = {"floor": floor, "realistic": realistic, "empty": empty}

        def run(label: str, server: str, names: tuple[str, ...], seconds: float) -> Result:
            return load(servers[server], names, seconds=seconds, connections=connections)

        for label, server, names, _ in CASES:  # warm-up: imports, caches, the SQLite pages of every runner
            run(label, server, names, 2)
        for number in range(rounds):
            order = CASES if number % 2 == 0 else tuple(reversed(CASES))
            for label, server, names, _ in order:
                rps, p99, cpu_us = run(label, server, names, seconds)
                results[label].append((rps, p99, cpu_us))
                log(f"round {number + 1}/{rounds} {label}: {rps:.0f} req/s, p99 {p99:.1f} ms, "
                    f"{cpu_us:.0f} µs CPU per request")
    return results


def report(results: dict[str, list[Result]], connections: int, threads: int = THREADS) -> str:
    rows = []
    for label, server, _names, floor in CASES:
        rps, p99, cpu = (median([r[i] for r in results[label]]) for i in range(3))
        if floor is None:
            rows.append([label, f"{rps:.0f}", f"{p99:.1f}", f"{cpu:.0f}", "1.00x (floor)", "1.00x (floor)", ""])
            continue
        rps_ratio = rps / median([r[0] for r in results[floor]])
        p99_ratio = p99 / median([r[1] for r in results[floor]])
        target = (f"req/s {verdict(rps_ratio, RPS_TARGET, higher_is_better=True)} >= {RPS_TARGET}x; "
                  f"p99 {verdict(p99_ratio, P99_TARGET, higher_is_better=False)} < {P99_TARGET}x"
                  if server == "realistic" else "reported")
        rows.append([label, f"{rps:.0f}", f"{p99:.1f}", f"{cpu:.0f}", f"{rps_ratio:.2f}x", f"{p99_ratio:.2f}x",
                     target])
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
