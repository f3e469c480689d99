"""Peak memory (VmHWM) of `bandcoach serve` after 10,000 requests, against the floor skill.

Run `python bench/bench_memory.py [--requests 10000] [--rounds 3] [--quick]`; prints a markdown
table. Each round starts a fresh floor and a fresh Band Coach server (order alternating), sends the
same number of requests to each from 4 keep-alive clients, then reads the server's peak RSS.
Band Coach gets a mix of launches, routine starts and "next" (state on, 1000 users). Target: at
most 1.3x the floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from harness import envelopes, log, median, peak_rss_kib, spawn, stop, table, verdict, wait_answering

TARGET = 1.3
CLIENTS = 4
USERS = 1000


def bodies(kind: str) -> list[bytes]:
    """The request mix: Band Coach's real intents, or the floor's two handlers, spread over many users."""
    found = envelopes()
    names = ("launch", "start", "next") if kind == "bandcoach" else ("launch", "floor_intent")
    texts = [json.dumps(found[n]) for n in names]
    return [texts[i % len(texts)].replace("TESTUSER", f"BENCH{i % USERS}").encode() for i in range(len(texts) * USERS)]


def hammer(url: str, payloads: list[bytes], count: int) -> None:
    """Send `count` requests over CLIENTS keep-alive connections; any non-200 answer stops the run."""
    parts = urlsplit(url)
    failures: list[str] = []

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            for i in range(offset, count, CLIENTS):
                conn.request("POST", "/alexa", body=payloads[i % len(payloads)],
                             headers={"Content-Type": "application/json"})
                reply = conn.getresponse()
                reply.read()
                if reply.status != 200:
                    failures.append(f"HTTP {reply.status}")
                    return
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{url}: {failures[0]} under load")


def peak_after(kind: str, count: int, home: Path) -> tuple[int, int]:
    """(peak RSS KiB after start-up, peak RSS KiB after `count` requests) of a fresh server."""
    proc, url = spawn(kind, home)
    try:
        wait_answering(proc, url)
        idle = peak_rss_kib(proc.pid)
        hammer(url, bodies(kind), count)
        return idle, peak_rss_kib(proc.pid)
    finally:
        stop(proc)


def measure(rounds: int, count: int) -> dict[str, list[tuple[int, int]]]:
    results: dict[str, list[tuple[int, int]]] = {"floor": [], "bandcoach": []}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        for number in range(rounds):
            kinds = ("floor", "bandcoach") if number % 2 == 0 else ("bandcoach", "floor")
            for kind in kinds:
                results[kind].append(peak_after(kind, count, Path(folder) / f"{kind}-{number}"))
                log(f"round {number + 1}/{rounds} {kind}: peak {results[kind][-1][1] / 1024:.1f} MiB")
    return results


def report(results: dict[str, list[tuple[int, int]]], count: int) -> str:
    idle = {k: median([i for i, _ in v]) / 1024 for k, v in results.items()}
    peak = {k: median([p for _, p in v]) / 1024 for k, v in results.items()}
    ratio = peak["bandcoach"] / peak["floor"]
    rows = [["floor", f"{idle['floor']:.1f}", f"{peak['floor']:.1f}", "1.00x (floor)", ""],
            ["Band Coach", f"{idle['bandcoach']:.1f}", f"{peak['bandcoach']:.1f}", f"{ratio:.2f}x",
             f"{verdict(ratio, TARGET, higher_is_better=False)} <= {TARGET}x"]]
    rounds = len(results["floor"])
    return (f"## Memory: peak RSS after {count:,} requests (median of {rounds} rounds, fresh servers)\n\n"
            + table(["server", "MiB after start", f"MiB after {count:,} requests", "ratio", "target"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="One round of 300 requests: checks the harness.")
    args = parser.parse_args()
    rounds, count = (1, 300) if args.quick else (args.rounds, args.requests)
    print(report(measure(rounds, count), count))


if __name__ == "__main__":
    main()
