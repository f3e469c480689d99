"""Band Coach variants side by side with the floor: a quick A/B of a setting or of two commits, on one store.

Run `python bench/compare_servers.py NAME[:VAR=VALUE,...] ...` from the repository, for example
`python bench/compare_servers.py four two:THREADS=2` (server threads) or, with a git worktree of another
commit in /tmp/old, `python bench/compare_servers.py new old:PYTHONPATH=/tmp/old` (that variant's server
imports the other commit's code). Every variant serves a copy of one realistic store (harness.seed_runners)
beside the floor; each case is warmed, then measured in interleaved rounds (`--rounds`, `--seconds`).
Prints, per case, each variant's req/s and p99 against the floor and its server CPU per request. Shorter
than bench_http.py and not a target check: for choosing between variants, read with its noise in mind.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

from harness import (
    FLOOR_MIX,
    MIX,
    THREADS,
    Server,
    load,
    log,
    median,
    running,
    seed_runners,
)

CASES = {"launch": (("launch",), ("launch",)), "start": (("start",), ("floor_intent",)),
         "next": (("next",), ("floor_intent",)), "mix": (MIX, FLOOR_MIX)}  # Band Coach's bodies, the floor's
CONNECTIONS = 8


def variant(spec: str) -> tuple[str, dict[str, str]]:
    """`name:VAR=VALUE,...` as the name and its environment (THREADS sets the server's thread count)."""
    name, _, rest = spec.partition(":")
    pairs = [pair.split("=", 1) for pair in rest.split(",") if pair]
    if not name or any(len(pair) != 2 for pair in pairs):
        raise SystemExit(f"not a variant: {spec!r} (expected NAME or NAME:VAR=VALUE,...)")
    return name, dict(pairs)


def serving(name: str, env: dict[str, str], store: Path) -> AbstractContextManager[Server]:
    """Band Coach with `env` added to its environment (THREADS: its thread count), on a copy of `store`."""
    extra = dict(env)
    threads = int(extra.pop("THREADS", THREADS))
    return running("bandcoach", threads, seed=lambda home: shutil.copytree(store, home, dirs_exist_ok=True),
                   env=extra, name=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("variants", nargs="+", help="NAME or NAME:VAR=VALUE,...")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    variants = [variant(spec) for spec in args.variants]
    with tempfile.TemporaryDirectory(prefix="compare-store-") as folder, ExitStack() as servers:
        log("seeding 1,000 runners with 0-700 workouts each...")
        seed_runners(Path(folder))
        floor = servers.enter_context(running("floor"))
        ours = [servers.enter_context(serving(name, env, Path(folder))) for name, env in variants]
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for number in range(args.rounds + 1):  # the first round warms every case and is not kept
            for case, (bodies, floor_bodies) in CASES.items():
                order = [floor, *ours] if number % 2 else [*reversed(ours), floor]
                for server in order:
                    measured = load(server, floor_bodies if server is floor else bodies, seconds=args.seconds,
                                    connections=CONNECTIONS)
                    if number:
                        results.setdefault((server.name, case), []).append(measured)
    for case in CASES:
        base = [median([r[i] for r in results[("floor", case)]]) for i in range(3)]
        line = f"{case}: floor {base[0]:.0f} req/s, p99 {base[1]:.1f} ms, {base[2]:.0f} µs CPU"
        for name, _ in variants:
            rps, p99, cpu = (median([r[i] for r in results[(name, case)]]) for i in range(3))
            line += f" | {name}: {rps / base[0]:.2f}x, p99 {p99 / base[1]:.2f}x, {cpu:.0f} µs CPU"
        print(line)


if __name__ == "__main__":
    main()
