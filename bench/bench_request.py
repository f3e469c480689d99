"""Per-request cost in process (Flask test client, no network, no server threads) against the floor skill.

Where wrk measures the whole stack, this isolates what each request costs Band Coach's own code:
the numbers behind the profile in docs/performance.md. Two tables: every case on a realistic store
(1,000 runners with 0-700 finished workouts, harness.seed_runners) and on an empty one, against the
floor; and what a runner's history costs, 100 runners with 700 workouts against 100 new ones
(target: at most 1.2x).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import floor_skill
from harness import USERS, bench_user, envelopes, median, realistic_history, seed_runners, server_env, table, verdict

from skill.config import Settings
from skill.state import make_store
from skill.web.app import create_app

HISTORY_TARGET = 1.2
POOL = 100  # runners per side of the history comparison
CASES = (("launch", "LaunchRequest", "launch"), ("start", "StartRoutineIntent", "intent"),
         ("next", "AMAZON.NextIntent", "intent"))


def as_users(envelope: dict, count: int, user=lambda i: bench_user(i % USERS + 1)) -> list[bytes]:
    """The envelope once per request, from `user(i)` for request i (the bench runners by default)."""
    text = json.dumps(envelope)
    placeholder = envelope["context"]["System"]["user"]["userId"]
    return [text.replace(placeholder, user(i)).encode() for i in range(count)]


def per_request_ms(client, bodies: list[bytes]) -> float:
    """Median over 5 batches of the mean time of one POST /alexa."""
    return paired_ms(client, bodies)[0]


def paired_ms(client, *sides: list[bytes], batches: int = 5) -> list[float]:
    """For each side's bodies, the median over `batches` of the mean time of one POST /alexa; the sides'
    batches alternate, so machine noise falls on every side alike."""
    for bodies in sides:  # warm caches (timelines, SSML pieces, connections)
        for body in bodies[:50]:
            client.post("/alexa", data=body, content_type="application/json")
    times: list[list[float]] = [[] for _ in sides]
    for _ in range(batches):
        for bodies, kept in zip(sides, times, strict=True):
            start = time.perf_counter()
            for body in bodies:
                client.post("/alexa", data=body, content_type="application/json")
            kept.append((time.perf_counter() - start) / len(bodies) * 1000)
    return [median(kept) for kept in times]


def coach_at(home: Path):
    """A Band Coach test client whose state lives where harness.server_env(home) puts it."""
    return create_app(Settings.from_env(server_env(home))).test_client()


def measure(count: int) -> str:
    """Both tables."""
    every = envelopes()
    floor = floor_skill.create_app().test_client()
    floor_ms = {"launch": per_request_ms(floor, as_users(every["launch"], count)),
                "intent": per_request_ms(floor, as_users(every["floor_intent"], count))}
    rows = [["floor: LaunchRequest", "", f"{floor_ms['launch']:.3f}", "1.00x"],
            ["floor: HelloIntent", "", f"{floor_ms['intent']:.3f}", "1.00x"]]
    with tempfile.TemporaryDirectory(prefix="bench-request-") as folder:
        realistic, empty = Path(folder) / "realistic", Path(folder) / "empty"
        seed_runners(realistic)
        for home, store in ((realistic, "0-700 workouts"), (empty, "empty")):
            coach = coach_at(home)
            for name, label, base in CASES:
                ms = per_request_ms(coach, as_users(every[name], count))
                rows.append([f"Band Coach: {label}", store, f"{ms:.3f}", f"{ms / floor_ms[base]:.2f}x"])
        history = history_rows(Path(folder) / "history", count)
    return (f"## Per request in process (Flask test client, median of 5 batches of {count})\n\n"
            + table(["case", "store", "ms per request", "vs floor"], rows) + "\n\n"
            + f"## What a long history costs (in process, {POOL} runners with 700 workouts against {POOL} new "
              "runners, same requests)\n\n"
            + table(["case", "new runner ms", "700 workouts ms", "ratio", "target"], history))


def history_rows(home: Path, count: int) -> list[list[str]]:
    """Per case: the time for new runners, for runners with 700 workouts, the ratio and its verdict."""
    rng, now = random.Random(700), datetime.now(UTC)
    store = make_store(Settings.from_env(server_env(home)))
    for number in range(POOL):
        history = realistic_history(700, rng, now=now)
        store.update(f"amzn1.ask.account.VETERAN{number}", lambda s, h=history: replace(s, history=h))
    coach, every, rows = coach_at(home), envelopes(), []
    for name, label, _ in CASES:
        new_ms, old_ms = paired_ms(
            coach, as_users(every[name], count, lambda i: f"amzn1.ask.account.NEW{i % POOL}"),
            as_users(every[name], count, lambda i: f"amzn1.ask.account.VETERAN{i % POOL}"), batches=9)
        ratio = old_ms / new_ms
        rows.append([label, f"{new_ms:.3f}", f"{old_ms:.3f}", f"{ratio:.2f}x",
                     f"{verdict(ratio, HISTORY_TARGET, higher_is_better=False)} <= {HISTORY_TARGET}x"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="A few requests: checks the harness, not speed.")
    args = parser.parse_args()
    print(measure(20 if args.quick else args.requests))


if __name__ == "__main__":
    main()
