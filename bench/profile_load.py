"""Where `bandcoach serve` spends its time under load: py-spy samples the server while wrk drives one case.

Run `python bench/profile_load.py [launch|start|next|mix] [--seconds 8] [--on-cpu]` after
`pip install py-spy` (a profiling tool, not a dependency of Band Coach). The server runs as in
bench_http.py (4 threads, the realistic store of 1,000 seeded runners) with wrk at 8 connections.
By default every thread's stack is sampled whether it runs or waits, so waiting for the write lock or
for work shows up; `--on-cpu` keeps only samples of threads that were running. Prints the frames that
take the largest share of samples, by themselves and with what they call.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import MIX, load, log, running, seed_runners

RATE_HZ = 250
CONNECTIONS = 8


def sample(case: str, seconds: float, on_cpu: bool) -> Path:
    """Samples of the server under `case`, as py-spy's raw (collapsed stacks) output file."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    names = MIX if case == "mix" else (case,)
    out = Path(tempfile.mkdtemp(prefix="profile-load-")) / "samples.txt"
    log("seeding 1,000 runners with 0-700 workouts each...")
    with running("bandcoach", seed=seed_runners) as server:
        load(server, names, seconds=2, connections=CONNECTIONS)  # warm: imports, caches, pages
        command = [spy, "record", "--format", "raw", "--output", str(out), "--duration", str(int(seconds)),
                   "--rate", str(RATE_HZ), "--pid", str(server.proc.pid), "--nonblocking",
                   *([] if on_cpu else ["--idle"])]
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as recorder:
            rps, _, _ = load(server, names, seconds=seconds + 1, connections=CONNECTIONS)
            recorder.wait()
    log(f"{case}: {rps:.0f} req/s while sampled")
    return out


def report(samples: Path, top: int) -> str:
    """The frames with the largest share of samples, by themselves and inclusive, as two markdown lists."""
    alone: collections.Counter[str] = collections.Counter()
    within: collections.Counter[str] = collections.Counter()
    total = 0
    for line in samples.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        total += int(count)
        alone[frames[-1]] += int(count)
        for frame in set(frames):
            within[frame] += int(count)
    if not total:
        raise SystemExit("py-spy took no samples (is ptrace allowed here?)")
    lines = [f"{total} samples", "", "By itself:"]
    lines += [f"- {n / total:.1%} {frame}" for frame, n in alone.most_common(top)]
    lines += ["", "With what it calls:"]
    lines += [f"- {n / total:.1%} {frame}" for frame, n in within.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=("launch", "start", "next", "mix"))
    parser.add_argument("--seconds", type=float, default=8.0, help="How long to sample.")
    parser.add_argument("--on-cpu", action="store_true", help="Only samples of running threads.")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(report(sample(args.case, args.seconds, args.on_cpu), args.top))


if __name__ == "__main__":
    main()
