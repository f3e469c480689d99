"""Lambda cold start: importing skill.lambda_handler (and answering a first launch) against ask-sdk's skill builder.

Run `python bench/bench_lambda_cold.py [--rounds 15] [--quick]`; prints a markdown table. Every
sample is a fresh interpreter (interpreter start included, as a Lambda cold start pays it); the
three commands run back to back in rotating order each round, and figures are medians. Target:
`import skill.lambda_handler` at most 1.1x `import ask_sdk_core.skill_builder`. The first launch
is reported beside it: it adds the runtime build (plugins, catalog, store) a cold container pays
once, with SQLite state (DynamoDB would add boto3 and a network round trip, which no local
figure would measure honestly).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from harness import compile_project, envelopes, log, median, python_seconds, server_env, table, verdict

TARGET = 1.1
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"  # the envelopes' id, checked like deployed
COMMANDS = {
    "floor: import ask_sdk_core.skill_builder": "import ask_sdk_core.skill_builder",
    "import skill.lambda_handler": "import skill.lambda_handler",
    "import + first LaunchRequest": (
        "import json, sys, skill.lambda_handler as h; "
        "r = h.handler(json.load(open(sys.argv[1])), None); assert r['response']['outputSpeech']"),
}
FLOOR = next(iter(COMMANDS))


def measure(rounds: int) -> dict[str, list[float]]:
    """Seconds per command, `rounds` samples each, the order rotating every round."""
    results: dict[str, list[float]] = {name: [] for name in COMMANDS}
    names = list(COMMANDS)
    compile_project()
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as folder:
        home = Path(folder)
        event = home / "launch.json"
        event.write_text(json.dumps(envelopes()["launch"]))
        for name in names:  # warm the OS file cache, .pyc files and the SQLite state first
            cold_seconds(COMMANDS[name], home, event)
        for number in range(rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                results[name].append(cold_seconds(COMMANDS[name], home, event))
            log(f"round {number + 1}/{rounds} done")
    return results


def cold_seconds(code: str, home: Path, event: Path) -> float:
    """Wall seconds for a fresh interpreter to run `code` with `event` as argv[1], configured as deployed."""
    return python_seconds(code, server_env(home, BANDCOACH_SKILL_ID=SKILL_ID), str(event))


def report(results: dict[str, list[float]]) -> str:
    floor = median(results[FLOOR])
    rows = []
    for name, samples in results.items():
        ratio = median(samples) / floor
        target = "" if name == FLOOR else (
            f"{verdict(ratio, TARGET, higher_is_better=False)} <= {TARGET}x" if name == "import skill.lambda_handler"
            else "reported")
        rows.append([name, f"{median(samples) * 1000:.0f}", f"{ratio:.2f}x", target])
    rounds = len(results[FLOOR])
    return (f"## Lambda cold start (median of {rounds} rotating rounds; interpreter start included)\n\n"
            + table(["command", "ms", "vs floor", "target"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="One round: checks the harness, not speed.")
    args = parser.parse_args()
    print(report(measure(1 if args.quick else args.rounds)))


if __name__ == "__main__":
    main()
