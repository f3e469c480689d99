"""What the HTTP benchmarks share: starting servers, envelopes, wrk runs, peak memory, medians and tables."""

from __future__ import annotations

import compileall
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # starting and stopping servers is shared with the tests

from support.live_server import bandcoach_command, free_port, server_env, stop  # noqa: E402

from skill import testing  # noqa: E402
from skill.config import Settings  # noqa: E402
from skill.handlers.base import place_attributes  # noqa: E402
from skill.progression import Rating, SessionRecord  # noqa: E402
from skill.routines import (  # noqa: E402
    BandLevel,
    Place,
    Variant,
)
from skill.state import make_store  # noqa: E402

BENCH = Path(__file__).resolve().parent
LUA_POST = BENCH / "post.lua"
THREADS = 4  # waitress worker threads: bandcoach serve's default, used for the floor too
USERS = 1000  # runners the load is spread over (bench/post.lua's BENCH_USERS default)
MAX_HISTORY = 700  # finished workouts of the longest-serving runner: about a year of twice-daily use


@dataclass(frozen=True, slots=True)
class Server:
    """A server subprocess under test: its name, URL and pid."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]

    @property
    def alexa_url(self) -> str:
        return f"{self.url}/alexa"


def command(kind: str, port: int, threads: int = THREADS) -> list[str]:
    """The command line that serves `kind` ('bandcoach' or 'floor') on 127.0.0.1:port."""
    if kind == "bandcoach":
        return [bandcoach_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", str(threads)]
    return [sys.executable, str(BENCH / "floor_skill.py"), "--port", str(port), "--threads", str(threads)]


def spawn(kind: str, home: Path, threads: int = THREADS, env: dict[str, str] | None = None
          ) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server of `kind` on a free loopback port with state in `home` (and `env` added to its environment);
    returns the process and its URL."""
    port = free_port()
    proc = subprocess.Popen(command(kind, port, threads), env=server_env(home, **(env or {})),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return proc, f"http://127.0.0.1:{port}"


@contextmanager
def running(kind: str, threads: int = THREADS, *, seed: Callable[[Path], object] | None = None,
            env: dict[str, str] | None = None, name: str | None = None) -> Iterator[Server]:
    """Start a server of `kind` with `threads` WSGI threads, wait until it answers, stop it afterwards.

    `seed(home)` runs first, on the state directory the server will use (seed_runners fills it); `env` is
    added to the server's environment; `name` labels it (default: `kind`).
    """
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as home:
        if seed is not None:
            seed(Path(home))
        proc, url = spawn(kind, Path(home), threads, env)
        try:
            wait_answering(proc, url)
            yield Server(name or kind, url, proc)
        finally:
            stop(proc)


def bench_user(number: int) -> str:
    """The Alexa user id bench/post.lua sends for runner `number` (1..USERS)."""
    return testing.DEFAULT_USER_ID.replace("TESTUSER", f"BENCH{number}")


# A runner's week: a warm-up before each run, a stretch after it, strength on two other days.
_WEEK = (("warmup", "recovery"), ("glutes",), ("warmup", "recovery"), ("desk",), ("treadmill", "recovery"), (),
         ("warmup", "recovery"))


def realistic_history(count: int, rng: random.Random, *, now: datetime) -> tuple[SessionRecord, ...]:
    """`count` finished workouts ending yesterday, oldest first, in the rhythm of _WEEK: mostly completed,
    some rated, the bands stepping up now and then (what progression and streaks read)."""
    plan = [(day, routine) for day in range(MAX_HISTORY) for routine in _WEEK[day % 7]][:count]
    last = plan[-1][0] if plan else 0
    records, band = [], BandLevel.LIGHT
    for day, routine in plan:
        if rng.random() < 0.01:
            band = {BandLevel.LIGHT: BandLevel.MEDIUM, BandLevel.MEDIUM: BandLevel.HEAVY}.get(band, band)
        started = now - timedelta(days=last - day + 1, hours=rng.randint(0, 12))
        records.append(SessionRecord(routine, Variant.STANDARD, band, rng.randint(0, 2), started,
                                     rng.randint(300, 900), rng.random() < 0.9,
                                     rng.choice((None, None, Rating.EASY, Rating.RIGHT, Rating.HARD))))
    return tuple(records)


def seed_runners(home: Path, *, users: int = USERS, most: int = MAX_HISTORY, seed: int = 18) -> int:
    """Give each of the bench runners a history of 0..`most` finished workouts (uniform, fixed seed) in the
    store a server with state in `home` will open; returns the workouts written."""
    rng, now = random.Random(seed), datetime.now(UTC)
    store = make_store(Settings.from_env(server_env(home)))
    written = 0
    for number in range(1, users + 1):
        history = realistic_history(rng.randint(0, most), rng, now=now)
        if history:
            store.update(bench_user(number), lambda s, h=history: replace(s, history=h))
            written += len(history)
    return written


def python_seconds(code: str, env: dict[str, str], *args: str) -> float:
    """Wall seconds for a fresh interpreter to run `code` with `args` as argv[1:] in `env`, from the repo root.

    Interpreter start is included, as a server process or a Lambda cold start pays it.
    """
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def wait_answering(proc: subprocess.Popen[bytes], url: str, *, timeout: float = 30.0, poll: float = 0.005) -> float:
    """Seconds until POST /alexa answers a launch with 200; raises if the process dies or never answers."""
    body = json.dumps(envelopes()["launch"]).encode()
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        try:
            if post(url + "/alexa", body)[0] == 200:
                return time.perf_counter() - start
        except OSError:
            time.sleep(poll)
    raise RuntimeError(f"server did not answer within {timeout:.0f} s")


# The servers under test listen on 127.0.0.1: never route their requests through a configured http_proxy.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url: str, body: bytes) -> tuple[int, bytes]:
    """POST a JSON body straight to a local server (no proxy); returns the status and the body."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with _DIRECT.open(request, timeout=5) as reply:
        return reply.status, reply.read()


def envelopes() -> dict[str, dict[str, Any]]:
    """The request bodies benchmarked: a launch, starting a routine, and next with state in the session."""
    position = place_attributes(Place("recovery", Variant.STANDARD, BandLevel.LIGHT))
    return {
        "launch": testing.launch_request(),
        "start": testing.intent_request("StartRoutineIntent", {"routine": ("post-run stretch", "recovery")}),
        "next": testing.intent_request("AMAZON.NextIntent", session_attributes=position),
        "stop": testing.intent_request("AMAZON.StopIntent", session_attributes=position),
        "floor_intent": testing.intent_request("HelloIntent"),
    }


# One pass of a workout as a runner talks it through, and the floor's pass of as many requests.
MIX = ("launch", "start", "next", "next", "next", "next", "next", "stop")
FLOOR_MIX = ("launch",) + ("floor_intent",) * (len(MIX) - 1)


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_second: float
    p99_ms: float
    errors: int
    requests: int = 0  # answered in the whole run


def wrk(url: str, body: dict[str, Any] | Sequence[dict[str, Any]], *, seconds: float, connections: int,
        threads: int = 2) -> WrkResult:
    """One wrk run that POSTs `body` to `url`, or a sequence of bodies round and round (both through
    bench/post.lua), and reports throughput and p99."""
    bodies = [body] if isinstance(body, dict) else list(body)
    files = []
    for one in bodies:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(one, handle)
        files.append(handle.name)
    script, env = LUA_POST, {"BENCH_MIX": ":".join(files)}
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
             "-s", str(script), url],
            env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout
    finally:
        for name in files:
            Path(name).unlink()
    return parse_wrk(out)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load(server: Server, names: Sequence[str], *, seconds: float, connections: int) -> tuple[float, float, float]:
    """One wrk run of the envelopes `names` (one, or a conversation round and round) against `server`:
    (requests/s, p99 ms, the server's CPU µs per request); any error or non-2xx answer stops the benchmark."""
    every = envelopes()
    bodies = [every[name] for name in names]
    before = cpu_seconds(server.proc.pid)
    result = wrk(server.alexa_url, bodies[0] if len(bodies) == 1 else bodies, seconds=seconds, connections=connections)
    if result.errors:
        raise SystemExit(f"{server.name} {'/'.join(names)}: {result.errors} errors or non-2xx answers under load")
    used = cpu_seconds(server.proc.pid) - before
    return result.requests_per_second, result.p99_ms, used * 1e6 / max(1, result.requests)


def parse_wrk(text: str) -> WrkResult:
    """Requests/s, the 99th percentile in ms, socket errors plus non-2xx answers, and requests, from wrk's report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text).groups()
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    return WrkResult(rps, float(value) * _UNITS[unit], errors + (int(bad.group(1)) if bad else 0),
                     int(total.group(1)) if total else 0)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set size (VmHWM) in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def verdict(ratio: float, target: float, *, higher_is_better: bool) -> str:
    ok = ratio >= target if higher_is_better else ratio <= target
    return "meets" if ok else "**MISSES**"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def compile_project() -> None:
    """Bytecode for Band Coach's own modules, as the floor's installed libraries have theirs: an editable
    install does not compile the project, and with PYTHONDONTWRITEBYTECODE set (this machine's shell sets
    it) no run ever writes it, so every cold start measured would compile the whole skill from source."""
    for package in ("skill", "plugins", "audio"):
        compileall.compile_dir(ROOT / package, quiet=1)


def log(message: str) -> None:
    """Progress goes to stderr so stdout stays the markdown report."""
    print(message, file=sys.stderr, flush=True)
