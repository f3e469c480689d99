"""Where one kind of request spends its time in process: cProfile over the Flask test client, by part.

The shares behind docs/performance.md's "Where the time still goes": Flask around the view, ask-sdk
deserialising, finding the handler, the state store, the handler's own work, serialising. Run
`python bench/profile_request.py [launch|start|next] [--requests 1500]` (an empty store, 200 runners,
after 200 warm-up requests; the profiler's overhead inflates small calls, so read shares, not times).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import time
from pathlib import Path

from skill import testing
from skill.config import Settings
from skill.web.app import create_app

RUNNERS = 200
WARM_UP = 200


def body(kind: str, number: int) -> bytes:
    """One request of `kind` from runner `number` (a "next" carries a fresh position in the session)."""
    user = f"amzn1.ask.account.PROFILE{number % RUNNERS}"
    if kind == "next":
        place = {"routine": "recovery", "band": "light", "variant": "standard", "block": 1, "extra_sets": 0,
                 "minutes": 0, "started": int(time.time())}
        envelope = testing.intent_request("AMAZON.NextIntent", session_attributes={"position": place}, user_id=user)
    elif kind == "start":
        envelope = testing.intent_request("StartRoutineIntent", {"routine": ("warm up", "warmup")}, user_id=user)
    else:
        envelope = testing.launch_request(user_id=user)
    return json.dumps(envelope).encode()


def cumulative(stats: pstats.Stats, file_end: str, function: str) -> float:
    """Seconds spent in (and under) `function` of the file ending in `file_end`."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    return sum(v[3] for (file, _, name), v in raw.items() if file.endswith(file_end) and name == function)


def shares(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Each part's share of the time inside Flask's wsgi_app."""
    total = cumulative(stats, "flask/app.py", "wsgi_app")
    view = cumulative(stats, "skill/web/app.py", "alexa")
    invoke = cumulative(stats, "ask_sdk_core/skill.py", "invoke")
    execute = cumulative(stats, "request_components.py", "execute")
    parts = {
        "deserialise": cumulative(stats, "skill/handlers/endpoint.py", "_deserialize"),
        "dispatch": cumulative(stats, "request_components.py", "get_request_handler_chain"),
        "store": cumulative(stats, "skill/state/sqlite.py", "_run"),
        "serialise": cumulative(stats, "skill/handlers/endpoint.py", "_serialize"),
    }
    rows = [
        ("Flask and werkzeug around the view", total - view),
        ("the view and endpoint outside ask-sdk (body parse, checks, request log)",
         view - invoke - parts["deserialise"] - parts["serialise"]),
        ("ask-sdk deserialising the envelope", parts["deserialise"]),
        ("finding the handler (each handler's can_handle in list order)", parts["dispatch"]),
        ("the state store (`SQLiteStore._run`: statements and decoding)", parts["store"]),
        ("the handler's own work, minus the store", execute - parts["store"]),
        ("ask-sdk dispatch around the handler", invoke - execute - parts["dispatch"]),
        ("serialising the response", parts["serialise"]),
    ]
    return [(name, seconds / total) for name, seconds in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("launch", "start", "next"))
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        root = Path(folder)
        settings = Settings(verify=False, load_plugins=("bandcoach",), data_dir=root / "data",
                            cache_dir=root / "cache", tts="espeak")
        client = create_app(settings).test_client()
        bodies = [body(args.kind, n) for n in range(args.requests)]
        for data in bodies[:WARM_UP]:
            client.post("/alexa", data=data, content_type="application/json")
        profile = cProfile.Profile()
        profile.enable()
        for data in bodies:
            client.post("/alexa", data=data, content_type="application/json")
        profile.disable()
    print(f"| part | {args.kind} |\n| --- | --- |")
    for name, share in shares(pstats.Stats(profile)):
        print(f"| {name} | {share:.0%} |")


if __name__ == "__main__":
    main()
