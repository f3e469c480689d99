"""Cold start of `bandcoach serve` against the floor skill: import time, and process start to first answer.

Run `python bench/bench_coldstart.py [--rounds 7] [--quick]`; prints a markdown table. Each round
measures Band Coach and the floor back to back (order alternating); figures are medians. Target:
at most 1.3x the floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from harness import (
    compile_project,
    log,
    median,
    python_seconds,
    server_env,
    spawn,
    stop,
    table,
    verdict,
    wait_answering,
)

TARGET = 1.3
# What each side imports before it can serve: the floor is Flask + ask-sdk-core + waitress alone.
IMPORTS = {
    "floor": "import flask, waitress, ask_sdk_core.skill_builder, ask_sdk_core.serialize",
    "bandcoach": "import waitress, skill.cli, skill.web.app",
}
APP = {
    "floor": "import sys; sys.path.insert(0, 'bench'); import waitress, floor_skill; floor_skill.create_app()",
    "bandcoach": "import waitress, skill.cli; from skill.web.app import create_app; create_app()",
}


def python_seconds_in(code: str, home: Path) -> float:
    """Wall seconds for a fresh interpreter to run `code` configured as `bandcoach serve` is."""
    return python_seconds(code, server_env(home))


def first_answer_seconds(kind: str, home: Path) -> float:
    """Seconds from spawning the server process to its first 200 answer to a LaunchRequest."""
    start = time.perf_counter()
    proc, url = spawn(kind, home)
    try:
        wait_answering(proc, url, poll=0.002)
        return time.perf_counter() - start
    finally:
        stop(proc)


def measure(rounds: int) -> dict[tuple[str, str], list[float]]:
    results: dict[tuple[str, str], list[float]] = {}
    compile_project()
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as folder:
        home = Path(folder)
        for kind in ("floor", "bandcoach"):  # warm the OS file cache and .pyc files first
            python_seconds_in(APP[kind], home / kind)
        for number in range(rounds):
            kinds = ("floor", "bandcoach") if number % 2 == 0 else ("bandcoach", "floor")
            for kind in kinds:
                for what, run in (("import", lambda k=kind: python_seconds_in(IMPORTS[k], home / k)),
                                  ("import + app", lambda k=kind: python_seconds_in(APP[k], home / k)),
                                  ("start to first answer", lambda k=kind: first_answer_seconds(k, home / k))):
                    results.setdefault((what, kind), []).append(run())
            log(f"round {number + 1}/{rounds} done")
    return results


def report(results: dict[tuple[str, str], list[float]]) -> str:
    rows = []
    for what in ("import", "import + app", "start to first answer"):
        floor, ours = median(results[(what, "floor")]), median(results[(what, "bandcoach")])
        ratio = ours / floor
        rows.append([what, f"{floor * 1000:.0f}", f"{ours * 1000:.0f}", f"{ratio:.2f}x",
                     f"{verdict(ratio, TARGET, higher_is_better=False)} <= {TARGET}x"])
    rounds = len(next(iter(results.values())))
    return (f"## Cold start (median of {rounds} interleaved rounds; interpreter start included)\n\n"
            + table(["measure", "floor ms", "Band Coach ms", "ratio", "target"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="One round: checks the harness, not speed.")
    args = parser.parse_args()
    print(report(measure(1 if args.quick else args.rounds)))


if __name__ == "__main__":
    main()
