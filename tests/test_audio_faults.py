"""Honest failures of the audio commands: full and read-only disks, stop signals, and a missing espeak-ng.

The disks are real: a tmpfs of a few hundred kilobytes mounted for the test (root only; CI runs as
root), so ENOSPC and EROFS come from the kernel where they would in production. The commands run
as subprocesses, so what a user sees (exit status, the last line, no traceback) is what is checked.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from support.handsfree_support import BAND, ROUTINE, VARIANT

from audio.cache import AudioCache
from audio.engines import TTSEngine
from audio.engines.espeak import UNKNOWN_VERSION, EspeakEngine
from audio.publish import build_indexes
from audio.warm import cue_texts
from skill.catalog import Catalog
from skill.cli import cli
from skill.errors import StorageError
from skill.files import Terminated, atomic_write, storage_error, terminate_as_interrupt
from skill.routines import BandLevel, Variant

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from skill.cli import cli; sys.exit(cli())"
WARM = ["audio", "warm", "--routine", ROUTINE, "--band", BAND.value, "--variant", VARIANT.value]
EXPORT = ["export", ROUTINE, "--variant", VARIANT.value, "--band", BAND.value]
CACHE_FIX = "free space or set BANDCOACH_AUDIO_DIR to another disk"
INSTALL_HINT = "no TTS engine available: install espeak-ng (apt-get install espeak-ng) or allow network access for gTTS"


# --- helpers --------------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(where: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """A real tmpfs of `size` (e.g. "256k") mounted at `where`, unmounted afterwards whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("a real small disk needs 'mount -t tmpfs', which needs root (CI runs as root)")
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                             capture_output=True, text=True, timeout=30, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        gc.collect()  # closes the SQLite connections of caches this test opened on the disk
        if subprocess.run(["umount", str(where)], capture_output=True, timeout=30, check=False).returncode:
            subprocess.run(["umount", "--lazy", str(where)], capture_output=True, timeout=30, check=True)


def run_cli(args: list[str], *, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """`bandcoach ARGS` in a subprocess with extra environment variables."""
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout, check=False)


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done.stderr.strip().splitlines()[-1]


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp") or (p.is_file() and p.name.startswith(".")
                                                                       and p.suffix != ".lock")]


def copy_cache(source: Path, target: Path) -> Path:
    """A copy of a warmed cache (prompts, manifest and its identity), without lock files."""
    target.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source / "manifest.sqlite3") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in source.rglob("*"):
        if path.is_file() and ".locks" not in path.parts and not path.name.endswith(("-wal", "-shm")):
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / path.relative_to(source)).write_bytes(path.read_bytes())
    return target


def disk_use(root: Path) -> int:
    """Bytes a tmpfs charges for the files under `root` (whole 4 KiB pages)."""
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in root.rglob("*") if p.is_file())


def subset_texts(catalog: Catalog) -> list[str]:
    return cue_texts(catalog, locale="en-US", routines=[ROUTINE], bands=[BandLevel.LIGHT], variants=[Variant.SHORT])


# --- warm ------------------------------------------------------------------------------------------


def test_warm_on_a_full_disk_counts_only_what_it_kept_and_exits_with_the_fix(tmp_path: Path,
                                                                             catalog: Catalog) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        audio = disk / "audio"
        done = run_cli(WARM, BANDCOACH_AUDIO_DIR=str(audio))
        assert done.returncode == 1
        assert last_line(done) == f"Error: audio cache {audio}: no space left on device; {CACHE_FIX}"
        summary = done.stdout.strip().splitlines()[-1]
        new = int(summary.split(": ", 1)[1].split(" new", 1)[0])
        assert 0 < new < len(subset_texts(catalog)) and " failed" in summary
        with sqlite3.connect(audio / "manifest.sqlite3") as conn:
            rows = conn.execute("SELECT path, size, sha256 FROM prompts").fetchall()
        assert len(rows) == new == len(list(audio.rglob("*.mp3")))  # no row without its file, no file without a row
        for rel, size, sha in rows:
            data = (audio / rel).read_bytes()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha)
        assert temp_files(audio) == []


def test_warm_on_a_read_only_disk_fails_in_one_line_before_synthesising(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "256k", read_only=True) as disk:
        done = run_cli(WARM, BANDCOACH_AUDIO_DIR=str(disk / "audio"))
    assert done.returncode == 1
    assert last_line(done) == (f"Error: audio cache {disk / 'audio'}: read-only file system; remount it read-write "
                               "or set BANDCOACH_AUDIO_DIR to another disk")
    assert " new, " not in done.stdout  # it stopped before the first prompt


# --- export ---------------------------------------------------------------------------------------


def test_export_to_a_full_disk_exits_in_one_line_and_leaves_no_temp_file(warm_dir: Path, tmp_path: Path) -> None:
    audio = copy_cache(warm_dir, tmp_path / "audio")
    with small_disk(tmp_path / "disk", "256k") as disk:
        done = run_cli([*EXPORT, "--out", str(disk / "out")], BANDCOACH_AUDIO_DIR=str(audio))
        assert done.returncode == 1
        assert last_line(done) == (f"Error: export directory {disk / 'out'}: no space left on device; free space or "
                                   "choose another --out directory (or BANDCOACH_EXPORT_DIR)")
        assert "0 of 1 routine(s) exported before the failure" in done.stderr
        assert sorted(p.name for p in (disk / "out").iterdir()) == []  # no temp file, and nothing half written


def test_export_whose_cache_disk_fills_up_says_the_cache_is_full(warm_dir: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", f"{disk_use(warm_dir) // 1024 + 128}k") as disk:
        audio = copy_cache(warm_dir, disk / "audio")
        done = run_cli([*EXPORT, "--out", str(tmp_path / "out")], BANDCOACH_AUDIO_DIR=str(audio))
        assert done.returncode == 1
        assert last_line(done) == f"Error: audio cache {audio}: no space left on device; {CACHE_FIX}"
        assert temp_files(audio) == []
    assert not (tmp_path / "out" / "feed.xml").exists()


def test_publish_rendering_on_a_full_cache_disk_stops_before_any_upload(
    warm_dir: Path, tmp_path: Path, catalog: Catalog
) -> None:
    with small_disk(tmp_path / "disk", f"{disk_use(warm_dir) // 1024 + 128}k") as disk:
        cache = AudioCache(copy_cache(warm_dir, disk / "audio"))
        with pytest.raises(StorageError, match="no space left on device") as caught:
            build_indexes(cache, catalog, locales=("en-US",))
        assert caught.value.errno == errno.ENOSPC
        assert all(e.path.stat().st_size == e.size for e in cache.entries())  # every row names a whole file
        cache.close()


def test_sigterm_during_export_removes_its_temp_files_and_exits_143(warm_dir: Path, tmp_path: Path) -> None:
    audio, out = copy_cache(warm_dir, tmp_path / "audio"), tmp_path / "out"
    cover = tmp_path / "cover.png"
    noise = Image.frombytes("RGB", (2300, 2300), os.urandom(2300 * 2300 * 3))  # a real picture, 16 MB as a PNG:
    noise.save(cover, compress_level=0)  # every file carries it, so each write takes long enough to catch
    proc = subprocess.Popen([sys.executable, "-c", CLI, *EXPORT, "--out", str(out), "--cover", str(cover)], cwd=ROOT,
                            env={**os.environ, "BANDCOACH_AUDIO_DIR": str(audio)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out.is_dir() and any(p.name.endswith(".tmp") for p in out.iterdir())):
            assert proc.poll() is None, "the export finished before a temp file was seen"
            assert time.monotonic() < deadline, "no temp file appeared within a minute"
            time.sleep(0.002)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert time.monotonic() - sent < 10
    assert proc.returncode == 143, err
    assert "export interrupted" in err and "Traceback" not in err
    assert temp_files(out) == [] and temp_files(audio) == []
    assert not (out / "feed.xml").exists()  # it was stopped mid-way


def test_temp_files_a_killed_export_left_are_swept_by_the_next(
    warm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANDCOACH_AUDIO_DIR", str(copy_cache(warm_dir, tmp_path / "audio")))
    out = tmp_path / "out"
    out.mkdir()
    stale, fresh = out / ".desk-short-light.mp3.k1ll3d.tmp", out / ".desk-short-light.mp3.wr1t1n.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"half a file")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    result = CliRunner().invoke(cli, [*EXPORT, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not stale.exists() and fresh.exists()  # a young one may be another export's write in progress


# --- the pieces ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "reason", "fix"), [
    (errno.ENOSPC, "no space left on device", "free space or"),
    (errno.EROFS, "read-only file system", "remount it read-write or"),
    (errno.EACCES, "permission denied", "make it writable for this user or"),
])
def test_storage_error_names_the_cause_and_the_fix(tmp_path: Path, code: int, reason: str, fix: str) -> None:
    error = storage_error("audio cache", tmp_path, OSError(code, os.strerror(code)), elsewhere="use another disk")
    assert str(error) == f"audio cache {tmp_path}: {reason}; {fix} use another disk"
    assert error.errno == code


def test_a_full_sqlite_database_reads_as_no_space_left(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "tiny.sqlite3") as conn:
        conn.execute("CREATE TABLE t (x BLOB)")
        conn.execute("PRAGMA max_page_count = 2")
        with pytest.raises(sqlite3.Error) as caught:
            conn.execute("INSERT INTO t VALUES (?)", (bytes(100_000),))
    error = storage_error("audio cache", tmp_path, caught.value, elsewhere="use another disk")
    assert error.errno == errno.ENOSPC and "no space left on device" in str(error)


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "routine.mp3"
    target.write_bytes(b"old")

    def interrupted(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["routine.mp3"]


def test_sigterm_inside_terminate_as_interrupt_raises_terminated_then_the_old_handler_returns() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as caught, terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert caught.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


# --- no espeak-ng (the Python 3.11 protocol check) -------------------------------------------------


def test_a_missing_espeak_is_still_a_tts_engine_whose_version_never_raises() -> None:
    engine = EspeakEngine("/nonexistent/espeak-ng")
    assert isinstance(engine, TTSEngine)  # Python 3.11 reads `version` here, which used to run the binary
    assert engine.version == UNKNOWN_VERSION
    assert not engine.available() and "apt-get install espeak-ng" in engine.unavailable_reason


@pytest.mark.parametrize("command", [WARM, [*EXPORT, "--out", "OUT"]], ids=["audio-warm", "export"])
def test_no_espeak_on_path_exits_in_one_line_with_the_install_hint(command: list[str], tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    done = run_cli(args, PATH=str(empty), BANDCOACH_TTS="espeak", BANDCOACH_AUDIO_DIR=str(tmp_path / "audio"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"Error: {INSTALL_HINT} (espeak: espeak-ng not found on PATH (apt-get install espeak-ng))"]
