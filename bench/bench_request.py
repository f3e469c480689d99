"""Per-request cost in process (Flask test client, no network, no server threads) against the floor skill.

Where wrk measures the whole stack, this isolates what each request costs Band Coach's own code:
the numbers behind the profile in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import floor_skill
from harness import envelopes, median, table

from skill.config import Settings
from skill.web.app import create_app

USERS = 1000  # as bench/post.lua: per-user state behaves as under real traffic, not one ever-growing row


def as_users(envelope: dict, count: int) -> list[bytes]:
    """The envelope once per user id, cycling through USERS runners."""
    text = json.dumps(envelope)
    user = envelope["context"]["System"]["user"]["userId"]
    return [text.replace(user, f"amzn1.ask.account.BENCH{i % USERS:04d}").encode() for i in range(count)]


def per_request_ms(client, bodies: list[bytes]) -> float:
    """Median over 5 batches of the mean time of one POST /alexa."""
    for body in bodies[:50]:  # warm caches (timelines, SSML pieces, connections)
        client.post("/alexa", data=body, content_type="application/json")
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for body in bodies:
            client.post("/alexa", data=body, content_type="application/json")
        batches.append((time.perf_counter() - start) / len(bodies) * 1000)
    return median(batches)


def measure(count: int, history: int = 0) -> str:
    """The table; `history` sessions are first given to each of the USERS runners (one start each)."""
    bodies = {name: as_users(env, count) for name, env in envelopes().items()}
    with tempfile.TemporaryDirectory(prefix="bench-request-") as folder:
        home = Path(folder)
        coach = create_app(Settings(verify=False, load_plugins=("bandcoach",), data_dir=home / "data",
                                    cache_dir=home / "cache")).test_client()
        for body in as_users(envelopes()["start"], history * USERS):  # each start files the last one
            coach.post("/alexa", data=body, content_type="application/json")
        floor = floor_skill.create_app().test_client()
        floor_ms = {"launch": per_request_ms(floor, bodies["launch"]),
                    "intent": per_request_ms(floor, bodies["floor_intent"])}
        rows = [["floor: LaunchRequest", f"{floor_ms['launch']:.3f}", "1.00x"],
                ["floor: HelloIntent", f"{floor_ms['intent']:.3f}", "1.00x"]]
        for name, label, base in (("launch", "LaunchRequest", "launch"), ("start", "StartRoutineIntent", "intent"),
                                  ("next", "AMAZON.NextIntent (state on)", "intent")):
            ms = per_request_ms(coach, bodies[name])
            rows.append([f"Band Coach: {label}", f"{ms:.3f}", f"{ms / floor_ms[base]:.2f}x"])
    kept = f", runners with {history} sessions" if history else ""
    return (f"## Per request in process (Flask test client, median of 5 batches of {count}{kept})\n\n"
            + table(["case", "ms per request", "vs floor"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--history", type=int, default=0,
                        help="Sessions each of the 1,000 runners has first (under wrk, starts pile them up).")
    parser.add_argument("--quick", action="store_true", help="A few requests: checks the harness, not speed.")
    args = parser.parse_args()
    print(measure(20 if args.quick else args.requests, args.history))


if __name__ == "__main__":
    main()
