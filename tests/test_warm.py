"""Warming: cue texts from the catalog, parallel generation into the cache, and the `bandcoach audio` commands."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.audio_support import CountingEngine
from support.gtts_standin import GttsStandin

from audio import mp3
from audio.cache import AudioCache
from audio.engines import describe, identity
from audio.engines.espeak import EspeakEngine
from audio.engines.piper import PiperEngine
from audio.warm import cue_texts, warm
from skill.catalog import Catalog
from skill.cli import cli
from skill.cli.audio import parse_size
from skill.errors import UnknownRoutine
from skill.routines import BandLevel, Variant

SUBSET = ["--routine", "desk", "--band", "light", "--variant", "short"]


def subset_texts(catalog: Catalog) -> list[str]:
    return cue_texts(catalog, locale="en-US", routines=["desk"], bands=[BandLevel.LIGHT], variants=[Variant.SHORT])


# --- which texts ---------------------------------------------------------------------------


def test_cue_texts_cover_every_routine_variant_and_band_once(catalog: Catalog) -> None:
    texts = cue_texts(catalog, locale="en-US")
    assert len(texts) == len(set(texts))
    for routine_id in catalog.routines:
        for variant in Variant:
            for band in BandLevel:
                cues = catalog.timeline(routine_id, band=band, variant=variant, locale="en-US").cues()
                assert {c.text for c in cues} <= set(texts)


def test_cue_texts_of_one_routine_are_fewer(catalog: Catalog) -> None:
    assert 0 < len(subset_texts(catalog)) < len(cue_texts(catalog, locale="en-US", routines=["desk"]))


def test_cue_texts_add_extra_texts_once(catalog: Catalog) -> None:
    texts = subset_texts(catalog)
    extra = cue_texts(catalog, locale="en-US", routines=["desk"], bands=[BandLevel.LIGHT],
                      variants=[Variant.SHORT], extra_texts=["Welcome to Band Coach.", texts[0], "  "])
    assert extra == [*texts, "Welcome to Band Coach."]


def test_cue_texts_include_the_reminders_a_returning_runner_hears(catalog: Catalog) -> None:
    texts = cue_texts(catalog, locale="en-US", routines=["glutes"])
    squat = catalog.exercises["band_squat"]
    assert squat.reminder in texts and squat.setup.split(". ")[0] in " ".join(texts)


def test_unknown_routine_names_the_routines_there_are(catalog: Catalog) -> None:
    with pytest.raises(UnknownRoutine, match=f"choose one of {', '.join(sorted(catalog.routines))}"):
        cue_texts(catalog, locale="en-US", routines=["yoga"])


# --- warming -------------------------------------------------------------------------------


def test_warmed_cache_holds_alexa_mp3s_whose_durations_match_the_manifest(catalog: Catalog, tmp_path: Path) -> None:
    cache, texts = AudioCache(tmp_path / "audio"), subset_texts(catalog)
    report = warm(cache, CountingEngine(tmp_path / "n.txt"), texts, "en-US")
    assert (report.new, report.cached, report.failed) == (len(texts), 0, 0)
    entries = cache.entries()
    assert sorted(e.text for e in entries) == sorted(texts)
    for entry in entries:
        meta = mp3.info(entry.path)
        assert (meta.version, meta.layer, meta.sample_rate, meta.bitrate, meta.channels) == (2, 3, 24_000, 48_000, 1)
        assert meta.duration == pytest.approx(entry.duration, abs=0.05)
        assert entry.size == entry.path.stat().st_size
    assert report.duration == pytest.approx(sum(e.duration for e in entries))


def test_second_warm_finds_everything_cached_and_synthesises_nothing(catalog: Catalog, tmp_path: Path) -> None:
    cache, texts, engine = AudioCache(tmp_path / "audio"), subset_texts(catalog), CountingEngine(tmp_path / "n.txt")
    warm(cache, engine, texts, "en-US")
    report = warm(cache, engine, texts, "en-US")
    assert (report.new, report.cached) == (0, len(texts))
    assert len(engine.syntheses()) == len(texts)


def test_a_failing_text_is_counted_and_the_rest_are_made(tmp_path: Path) -> None:
    engine = CountingEngine(tmp_path / "n.txt", fail_on=frozenset({"Two."}))
    report = warm(AudioCache(tmp_path / "audio"), engine, ["Three.", "Two.", "One."], "en-US")
    assert (report.new, report.failed) == (2, 1)
    assert report.failures[0][0] == "Two." and "on purpose" in report.failures[0][1]


def test_warm_remembers_its_engine_so_lookups_need_no_engine(tmp_path: Path) -> None:
    cache, engine = AudioCache(tmp_path / "audio"), CountingEngine(tmp_path / "n.txt")
    warm(cache, engine, ["Three.", "Two."], "en-GB")
    assert cache.identity_for("en-GB") == identity(engine, "en-GB")
    assert cache.lookup_many(["Two.", "Three."], "en-GB") is not None


def test_progress_is_reported_once_per_text(tmp_path: Path) -> None:
    ticks: list[int] = []
    warm(AudioCache(tmp_path / "audio"), CountingEngine(tmp_path / "n.txt"), ["A.", "B.", "C."], "en-US",
         progress=ticks.append)
    assert ticks == [1, 1, 1]


# --- the commands --------------------------------------------------------------------------


def audio_dir() -> Path:
    return Path(os.environ["BANDCOACH_CACHE_DIR"]) / "audio"


def test_cli_warm_prints_a_summary_and_fills_the_cache(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audio", "warm", *SUBSET, "--engine", "espeak"])
    assert result.exit_code == 0, result.output
    assert " new, 0 cached, 0 failed of " in result.output and "s of audio" in result.output
    assert len(AudioCache(audio_dir()).entries()) > 0
    again = runner.invoke(cli, ["audio", "warm", *SUBSET])
    assert " 0 new, " in again.output


def test_cli_stats_shows_count_size_and_engine(runner: CliRunner) -> None:
    runner.invoke(cli, ["audio", "warm", *SUBSET])
    count = len(AudioCache(audio_dir()).entries())
    result = runner.invoke(cli, ["audio", "stats"])
    assert result.exit_code == 0
    assert result.output.startswith(f"{count} prompts, ") and f"espeak: {count} prompts" in result.output


def test_cli_stats_says_which_voice_made_the_audio(runner: CliRunner) -> None:
    runner.invoke(cli, ["audio", "warm", *SUBSET])
    runner.invoke(cli, ["audio", "warm", *SUBSET, "--locale", "en-GB"])
    version = EspeakEngine().version
    text = runner.invoke(cli, ["audio", "stats"]).output
    assert f"espeak-ng en-us (espeak-ng {version}), en-US: " in text
    assert f"espeak-ng en-gb (espeak-ng {version}), en-GB: " in text
    voices = json.loads(runner.invoke(cli, ["audio", "stats", "--json"]).output)["voices"]
    assert {(v["engine"], v["voice"], v["engine_version"], tuple(v["locales"])) for v in voices} == {
        ("espeak", "en-us", version, ("en-US",)), ("espeak", "en-gb", version, ("en-GB",))}
    assert all(v["description"].startswith("espeak-ng ") for v in voices)


def test_every_manifest_row_names_the_voice_that_made_it(runner: CliRunner) -> None:
    runner.invoke(cli, ["audio", "warm", *SUBSET])
    entries = AudioCache(audio_dir()).entries()
    assert entries and {describe(e.identity) for e in entries} == {
        describe(identity(EspeakEngine(), "en-US"))}


def test_cli_warm_without_the_piper_extra_still_works_with_espeak(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # what `import piper` finds in a clone without the extra
    monkeypatch.setenv("BANDCOACH_GTTS_URL", "http://127.0.0.1:9/{tld}")  # and no network: gTTS fails its probe
    result = runner.invoke(cli, ["audio", "warm", *SUBSET, "--engine", "auto"])
    assert result.exit_code == 0, result.output
    assert "engine: espeak" in result.output and "voice: espeak-ng en-us" in result.output
    assert set(AudioCache(audio_dir()).stats().per_engine) == {"espeak"}


def test_cli_prune_trims_to_the_size_given(runner: CliRunner) -> None:
    runner.invoke(cli, ["audio", "warm", *SUBSET])
    result = runner.invoke(cli, ["audio", "prune", "--max-size", "50k"])
    assert result.exit_code == 0 and "removed " in result.output
    assert AudioCache(audio_dir()).stats().size <= 50_000


def test_cli_prune_rejects_a_size_it_cannot_read_and_shows_the_forms(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audio", "prune", "--max-size", "lots"])
    assert result.exit_code == 2
    assert "like 500MB, 1.5GB or 200k" in result.output and "Traceback" not in result.output


def test_cli_warm_with_no_engine_says_how_to_get_one(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audio", "warm", *SUBSET, "--engine", "polly"])
    assert result.exit_code == 1
    assert "install espeak-ng (apt-get install espeak-ng)" in result.output and "Traceback" not in result.output


def test_cli_warm_unknown_routine_lists_the_routines(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audio", "warm", "--routine", "yoga"])
    assert result.exit_code == 1 and "choose one of desk" in result.output


def test_cli_warm_through_gtts_uses_the_configured_endpoint(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, catalog: Catalog
) -> None:
    with GttsStandin() as standin:
        monkeypatch.setenv("BANDCOACH_GTTS_URL", standin.url)
        result = runner.invoke(cli, ["audio", "warm", "--routine", "desk", "--band", "light", "--variant", "short",
                                     "--locale", "en-AU", "--engine", "gtts"])
    assert result.exit_code == 0, result.output
    assert "engine: gtts" in result.output
    assert {s.tld for s in standin.seen} == {"com", "com.au"}  # the probe, then the locale's accent
    texts = cue_texts(catalog, locale="en-AU", routines=["desk"], bands=[BandLevel.LIGHT], variants=[Variant.SHORT])
    assert AudioCache(audio_dir()).stats().per_engine["gtts"].count == len(texts)


@pytest.mark.parametrize(("text", "size"), [
    ("500MB", 500_000_000), ("1.5GB", 1_500_000_000), ("200k", 200_000), ("64MiB", 64 * 1024**2), ("123", 123),
])
def test_sizes_read_with_their_units(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_interrupted_warm_keeps_what_it_made_and_leaves_no_partial_file(tmp_path: Path, catalog: Catalog) -> None:
    interrupt_a_real_warm(tmp_path, catalog, "espeak", after=5)


@pytest.mark.slow
@pytest.mark.skipif(not PiperEngine().available(), reason="the piper extra is not installed")
def test_interrupted_warm_in_worker_processes_keeps_what_it_made(tmp_path: Path, catalog: Catalog) -> None:
    interrupt_a_real_warm(tmp_path, catalog, "piper", after=3)


def interrupt_a_real_warm(tmp_path: Path, catalog: Catalog, engine: str, *, after: int) -> None:
    """Ctrl-C a real `audio warm` once `after` prompts are kept: exit 130, every kept prompt whole, no temp file."""
    env = {**os.environ, "BANDCOACH_CACHE_DIR": str(tmp_path / "cache")}
    manifest = tmp_path / "cache" / "audio" / "manifest.sqlite3"
    args = ["audio", "warm", "--routine", "warmup", "--engine", engine]
    code = "import sys; from skill.cli import cli; sys.exit(cli())"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while rows(manifest) < after and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert b"interrupted" in err
    made = rows(manifest)
    cache = AudioCache(manifest.parent)
    assert after <= made < len(cue_texts(catalog, locale="en-US", routines=["warmup"]))
    assert not list(manifest.parent.rglob("*.tmp"))
    for entry in cache.entries():
        assert entry.path.stat().st_size == entry.size and mp3.duration(entry.path.read_bytes()) > 0
    if engine == "espeak":  # a second warm counts them as cached (with Piper that would warm the rest: too slow here)
        result = CliRunner().invoke(cli, args, env=env)
        assert f" {made} cached, 0 failed" in result.output


def rows(manifest: Path) -> int:
    try:
        with sqlite3.connect(manifest) as conn:
            return conn.execute("SELECT COUNT(*) FROM prompts").fetchone()[0]
    except sqlite3.Error:
        return 0
