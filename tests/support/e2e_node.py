"""Helpers for checks that run third-party Node clients: the skip/fail policy, node, a live server, results.

Ports, the server's command and environment, and stopping it come from tests/support/live_server.py, shared
with the bench.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.live_server import bandcoach_command, free_port, server_env, stop

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
E2E = TESTS / "e2e"
NODE_MODULES = E2E / "node_modules"
INSTALL_HINT = "npm ci --prefix tests/e2e"
SERVER_START_SECONDS = 30.0


def in_ci(environ: dict[str, str] | None = None) -> bool:
    """True when running under CI (CI set to anything but empty/0/false), where a missing toolchain fails."""
    value = (os.environ if environ is None else environ).get("CI", "").strip().lower()
    return value not in ("", "0", "false", "no")


def require_node() -> str:
    """The node executable, ready with tests/e2e's packages; skips locally without them, fails in CI.

    Skipping is allowed only when node_modules is missing and CI is not set, so a developer without
    Node can still run the suite, while CI can never pass by silently skipping the real clients.
    """
    node = shutil.which("node")
    if not NODE_MODULES.is_dir():
        why = f"tests/e2e/node_modules is missing: run {INSTALL_HINT}"
        if in_ci():
            pytest.fail(f"{why} (CI must run the end-to-end checks; .ci/install does it)", pytrace=False)
        pytest.skip(why)
    if node is None:
        pytest.fail("node is not on PATH but tests/e2e/node_modules exists: install Node.js 18+ "
                    "(apt-get install nodejs) or remove node_modules to skip", pytrace=False)
    return node


def run_node(script: str, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run tests/e2e/<script> with node and the given arguments; output is captured as text."""
    node = require_node()
    env = {**os.environ, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1", "NODE_PATH": str(NODE_MODULES)}
    return subprocess.run([node, str(E2E / script), *args], cwd=E2E, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def run_node_json(script: str, *args: str, timeout: float = 120.0) -> Any:
    """Run a node script that prints one JSON document; a crash fails with its stderr."""
    done = run_node(script, *args, timeout=timeout)
    try:
        return json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"{script} exited {done.returncode} without a JSON report:\n{done.stdout[-2000:]}\n"
                    f"{done.stderr[-4000:]}", pytrace=False)


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A `bandcoach serve` subprocess: where it listens and its log file."""

    url: str
    log: Path

    @property
    def alexa_url(self) -> str:
        return f"{self.url}/alexa"


@contextmanager
def serve(home: Path, **extra_env: str) -> Iterator[LiveServer]:
    """Start `bandcoach serve` on 127.0.0.1 and a free port, wait for GET /healthz, stop it afterwards."""
    port = free_port()
    log = home / "server.log"
    home.mkdir(parents=True, exist_ok=True)
    command = [bandcoach_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=server_env(home, **extra_env), stdout=out,
                                stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(proc, server)
        yield server
    finally:
        stop(proc)


def _wait_healthy(proc: subprocess.Popen[bytes], server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bandcoach serve exited {proc.returncode}:\n{server.log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"bandcoach serve did not answer /healthz in {SERVER_START_SECONDS:.0f} s:\n"
                       f"{server.log.read_text()[-4000:]}")


def passed(report: dict[str, Any], group: str, server: LiveServer) -> dict[str, Any]:
    """A driver group's result; unless it passed, fails with the driver's last turns and the server log."""
    result = report.get(group) or {"passed": False, "error": "not reported", "transcript": [], "checks": 0}
    if not result["passed"]:
        transcript = "\n".join(result["transcript"])
        log = server.log.read_text()[-3000:]
        pytest.fail(f"{result['error']}\n--- transcript (last turns) ---\n{transcript}\n--- server log ---\n{log}",
                    pytrace=False)
    assert result["checks"] > 0
    return result
