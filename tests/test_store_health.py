"""A failing state store is visible: the runner is told once, /healthz says 503 with the cause, the log says it once.

Faults are real files, and fail as root too (CI runs as root, where chmod does not stop a write):
SQLite's own header marks a database read-only (write version 3) or unreadable (read version 3);
a full disk is a file-size limit (RLIMIT_FSIZE) on a real `bandcoach serve`; a corrupt database is
random bytes; a "file" that is a directory, and a data directory under a plain file, cannot be made.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.alexa_checks import check_response, speech_of
from support.live_server import bandcoach_command
from support.serve_process import ROOT, health, live_serve, post_json, serve_env

from skill import prompts, testing
from skill.config import Settings
from skill.state import load_secret, make_store

RUNNER = "amzn1.ask.account.STOREHEALTH"
NOTE = prompts.progress_not_saved()


def set_header(db: Path, *, write: int | None = None, read: int | None = None) -> None:
    """Rewrite SQLite's file-format version bytes (offsets 18, 19): a write version over 2 makes SQLite treat
    the file as read-only, a read version over 2 as unreadable. The log is checkpointed into the file first."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with db.open("r+b") as f:
        if write is not None:
            f.seek(18)
            f.write(bytes([write]))
        if read is not None:
            f.seek(19)
            f.write(bytes([read]))


def start(client: Any, **kw: Any) -> dict[str, Any]:
    reply = client.post("/alexa", json=testing.intent_request("StartRoutineIntent", {"routine": "desk"},
                                                              user_id=RUNNER, new=True, **kw))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_json()


def next_step(client: Any, previous: dict[str, Any]) -> dict[str, Any]:
    reply = client.post("/alexa", json=testing.intent_request(
        "AMAZON.NextIntent", user_id=RUNNER, session_attributes=previous.get("sessionAttributes") or {}))
    assert reply.status_code == 200
    return reply.get_json()


@pytest.fixture
def read_only(app: Any, settings: Settings) -> Any:
    """The app's client after its database was marked read-only by its own header (started once before)."""
    client = app.test_client()
    start(client)
    set_header(settings.db_path, write=3)
    return client


def test_a_read_only_database_still_coaches_and_tells_the_runner(read_only: Any) -> None:
    data = start(read_only)
    check_response(data)
    speech = speech_of(data)
    assert speech.startswith(NOTE)
    assert "exercise 1 of" in speech.lower()  # the routine itself, as it would be without the fault


def test_healthz_is_503_with_the_cause_until_a_write_works_again(read_only: Any, settings: Settings) -> None:
    assert read_only.get("/healthz").status_code == 200  # nothing has failed yet: reads still work
    start(read_only)
    reply = read_only.get("/healthz")
    assert reply.status_code == 503
    store = reply.get_json()["store"]
    assert store["status"] == "failing" and "readonly" in store["cause"] and store["failing"] == ["write"]
    set_header(settings.db_path, write=2)
    for _ in range(3):  # the connection opened while the file was read-only fails once more, then is replaced
        if NOTE not in speech_of(start(read_only)):
            break
    assert read_only.get("/healthz").status_code == 200


def test_each_cause_is_logged_once_not_once_per_request(read_only: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            start(read_only)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "readonly" in errors[0].getMessage() and "make the file" in errors[0].getMessage()


def test_the_runner_hears_it_once_a_session(read_only: Any) -> None:
    first = start(read_only)
    then = next_step(read_only, first)
    assert speech_of(first).startswith(NOTE)
    assert NOTE not in speech_of(then) and speech_of(then)


def test_an_unreadable_database_still_welcomes_the_runner(app: Any, settings: Settings) -> None:
    client = app.test_client()
    start(client)
    set_header(settings.db_path, read=3)
    reply = client.post("/alexa", json=testing.launch_request(user_id=RUNNER))
    assert reply.status_code == 200
    assert speech_of(reply.get_json()).startswith(NOTE) and "Welcome" in speech_of(reply.get_json())
    assert "not a database" in client.get("/healthz").get_json()["store"]["cause"]


def test_a_full_disk_is_told_to_the_runner_and_to_healthz(tmp_path: Path) -> None:
    # A file-size limit makes the kernel refuse the write (EFBIG) as a full disk would (ENOSPC), root or not;
    # Python ignores SIGXFSZ, so SQLite sees the failed write: "disk I/O error" here, "database or disk is
    # full" on a full disk.
    with live_serve(tmp_path):
        pass  # a first start creates and migrates the database
    size = max(p.stat().st_size for p in (tmp_path / "data").glob("bandcoach.sqlite3*"))
    with live_serve(tmp_path, max_file_bytes=size + 64 * 1024) as live:
        answered: list[tuple[int, str]] = []
        for n in range(60):  # each workout start writes a page or two to the log: the limit comes soon
            status, data = post_json(f"{live.url}/alexa", testing.intent_request(
                "StartRoutineIntent", {"routine": "desk"}, user_id=f"{RUNNER}.{n}", new=True))
            answered.append((status, speech_of(data)))
            if NOTE in answered[-1][1]:
                break
        said = health(live.url, timeout=5.0)
    assert all(status == 200 for status, _ in answered)
    assert NOTE in answered[-1][1] and "exercise 1 of" in answered[-1][1].lower()
    assert said is not None and said[0] == 503 and "disk" in said[1]["store"]["cause"]
    assert 1 < len(answered) < 60  # workouts were kept until the disk filled


# ---------------------------------------------------------------- start-up: one line with the fix, exit 1


def _corrupt(data: Path) -> None:
    (data / "bandcoach.sqlite3").write_bytes(os.urandom(8192))


def _read_only(data: Path) -> None:
    db = data / "bandcoach.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.close()
    set_header(db, write=3)


def _directory(data: Path) -> None:
    (data / "bandcoach.sqlite3").mkdir()


@pytest.mark.parametrize(("fault", "fix"), [
    (_corrupt, "restore it from a backup"),
    (_read_only, "make the file, and the directory holding it, writable"),
    (_directory, "must name a file (not a directory)"),
])
def test_a_database_that_cannot_start_is_one_line_with_the_fix(tmp_path: Path, fault: Any, fix: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    fault(data)
    done = subprocess.run([bandcoach_command(), "serve", "--port", "9"], cwd=ROOT, env=serve_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: "), done.stderr
    assert fix in done.stderr and "Traceback" not in done.stderr


def test_a_data_directory_that_cannot_be_made_is_one_line_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a directory")
    done = subprocess.run([bandcoach_command(), "serve", "--port", "9"], cwd=ROOT,
                          env=serve_env(tmp_path, BANDCOACH_DATA_DIR=str(tmp_path / "plain-file" / "data")),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "BANDCOACH_DATA_DIR" in done.stderr, done.stderr


# ---------------------------------------------------------------- private files


def test_the_database_and_its_directories_are_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files 0644 and directories 0755 unless made private
    try:
        settings = Settings(data_dir=tmp_path / "a" / "b", load_plugins=("bandcoach",))
        store = make_store(settings)
        store.set_locale(RUNNER, "en-US")  # the -wal and -shm files now exist too
    finally:
        os.umask(old)
    db = settings.db_path
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "a", tmp_path / "a" / "b")}
    modes |= {p.name: stat.S_IMODE(p.stat().st_mode) for p in db.parent.glob(db.name + "*")}
    modes["secret"] = stat.S_IMODE((settings.data_path / "secret").stat().st_mode)
    assert load_secret(settings)
    assert modes == {"a": 0o700, "b": 0o700, db.name: 0o600, f"{db.name}-wal": 0o600, f"{db.name}-shm": 0o600,
                     "secret": 0o600}
