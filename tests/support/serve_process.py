"""`bandcoach serve` as a subprocess for tests: started on a free loopback port with its own TMPDIR, stopped after.

Unlike tests/support/e2e_node.py's `serve`, it waits for /healthz to answer at all (200 or 503), so a
server that starts degraded on purpose can be tested too, and it lets a test drop a variable.
"""

from __future__ import annotations

import json
import resource
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.live_server import bandcoach_command, free_port, server_env, stop

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30.0


@dataclass(frozen=True)
class Live:
    """A running `bandcoach serve`: its process, port, temporary directory and combined output."""

    proc: subprocess.Popen[bytes]
    port: int
    tmpdir: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def serve_env(home: Path, **env: str | None) -> dict[str, str]:
    """server_env(home) with `env` added; a None value removes that variable."""
    base = server_env(home, **{k: v for k, v in env.items() if v is not None})
    return {k: v for k, v in base.items() if env.get(k, "") is not None}


@contextmanager
def live_serve(home: Path, *args: str, max_file_bytes: int | None = None, **env: str | None) -> Iterator[Live]:
    """`bandcoach serve` (plus `args`) on 127.0.0.1 until /healthz answers; `env` as in serve_env.

    `max_file_bytes` sets the server's RLIMIT_FSIZE: no file it writes may grow past it (a full disk).
    """
    port, tmpdir, log = free_port(), home / "tmp", home / "server.log"
    tmpdir.mkdir(parents=True, exist_ok=True)
    command = [bandcoach_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *args]

    def limit() -> None:  # runs in the child before it starts
        if max_file_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=serve_env(home, TMPDIR=str(tmpdir), **env), stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=limit)
    live = Live(proc, port, tmpdir, log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while health(live.url, timeout=1.0) is None:
            assert proc.poll() is None, f"bandcoach serve exited {proc.returncode}: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no /healthz in {START_SECONDS} s: {log.read_text()[-3000:]}"
            time.sleep(0.05)
        yield live
    finally:
        stop(proc)


def health(url: str, *, timeout: float) -> tuple[int, dict[str, Any]] | None:
    """GET /healthz: its status and JSON, or None when nothing answered within `timeout` seconds."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return None


def post_json(url: str, data: dict[str, Any], *, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
    """POST JSON; the status and the JSON answer, errors included."""
    request = urllib.request.Request(url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
