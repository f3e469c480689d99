"""Real local servers for tests and benchmarks: free ports, `bandcoach serve`'s command and environment, stop.

The one place for these, shared by tests/support/e2e_node.py, tests/support/dynamo_standin.py and bench/harness.py
(the bench puts tests/ on sys.path, as it does for tests/support/pki.py); no pytest import, so the bench
runs without it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

STOP_SECONDS = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a local `bandcoach serve`: verification off, built-ins only, state and caches in `home`.

    Any BANDCOACH_* of the caller's shell is dropped so a developer's settings cannot leak in; the
    engine is pinned to espeak so nothing probes gTTS (serving /alexa never synthesizes, so the
    benchmarks measure the same either way); logs are quiet. `extra` adds or overrides variables.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANDCOACH_")}
    env.update(BANDCOACH_VERIFY="0", BANDCOACH_LOAD_PLUGINS="bandcoach", BANDCOACH_DATA_DIR=str(home / "data"),
               BANDCOACH_CACHE_DIR=str(home / "cache"), BANDCOACH_TTS="espeak", BANDCOACH_LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def bandcoach_command() -> str:
    """The `bandcoach` console script beside the running interpreter (the venv's), else on PATH."""
    script = Path(sys.executable).parent / "bandcoach"
    found = str(script) if script.is_file() else shutil.which("bandcoach")
    if found is None:
        raise RuntimeError("the bandcoach command is not installed: run pip install -e '.[dev]'")
    return found


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, and kill it if it has not exited within STOP_SECONDS."""
    proc.terminate()
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
