"""The prompt cache: keys, layout, atomic and once-only generation, damage repair, lookups, pruning."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from support.audio_support import CountingEngine

from audio import mp3
from audio.cache import AudioCache, prompt_key
from audio.engines import EngineIdentity, identity

IDENT = EngineIdentity("espeak", "1.51", "en-us", "160")
SUPPORT = Path(__file__).parent / "support" / "audio_support.py"


@pytest.fixture
def cache(tmp_path: Path) -> AudioCache:
    return AudioCache(tmp_path / "audio")


@pytest.fixture
def engine(tmp_path: Path) -> CountingEngine:
    return CountingEngine(tmp_path / "syntheses.txt")


def files_under(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if p.is_file())


# --- keys and layout --------------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"engine": "gtts"}, {"version": "1.52"}, {"voice": "en-gb"}, {"rate": "175"},
])
def test_key_changes_with_every_part_of_the_engine_identity(change: dict[str, str]) -> None:
    assert prompt_key(dataclasses.replace(IDENT, **change), "en-US", "Go!") != prompt_key(IDENT, "en-US", "Go!")


def test_key_changes_with_locale_text_and_format_version() -> None:
    base = prompt_key(IDENT, "en-US", "Go!")
    assert prompt_key(IDENT, "en-GB", "Go!") != base
    assert prompt_key(IDENT, "en-US", "Go.") != base
    assert prompt_key(IDENT, "en-US", "Go!", format_version=mp3.FORMAT_VERSION + 1) != base


def test_key_ignores_only_whitespace_differences() -> None:
    assert prompt_key(IDENT, "en-US", "  Three.\n Two. ") == prompt_key(IDENT, "en-US", "Three. Two.")
    assert len(prompt_key(IDENT, "en-US", "Go!")) == 64


def test_prompt_lives_under_engine_voice_locale_and_key_prefix(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Switch sides.", "en-GB")
    ident = identity(engine, "en-GB")
    assert prompt.key == prompt_key(ident, "en-GB", "Switch sides.")
    assert prompt.path == cache.root / "espeak" / "en-gb-en-GB" / prompt.key[:2] / f"{prompt.key}.mp3"
    assert prompt.path.read_bytes() == prompt.data


def test_cached_files_are_readable_by_the_web_server_like_exports(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Switch sides.", "en-GB")
    assert prompt.path.stat().st_mode & 0o777 == 0o644


def test_voice_names_cannot_climb_out_of_the_cache(cache: AudioCache) -> None:
    rel = cache.relative_path(EngineIdentity("../../x", "1", "../etc", "1"), "en-US", "ab" * 32)
    assert ".." not in rel.parts and not rel.is_absolute()


# --- generation ------------------------------------------------------------------------------


def test_a_prompt_is_synthesised_once_then_read_from_the_cache(cache: AudioCache, engine: CountingEngine) -> None:
    first = cache.ensure(engine, "Five more.", "en-US")
    again = AudioCache(cache.root).ensure(engine, "Five more.", "en-US")
    assert first.created and not again.created
    assert again.data == first.data and again.duration == pytest.approx(first.duration)
    assert engine.syntheses() == ["Five more."]


def test_a_truncated_file_is_regenerated(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Last one.", "en-US")
    prompt.path.write_bytes(prompt.data[: len(prompt.data) // 2])
    repaired = cache.ensure(engine, "Last one.", "en-US")
    assert repaired.created and prompt.path.read_bytes() == repaired.data
    assert mp3.duration(prompt.path.read_bytes()) == pytest.approx(cache.get(prompt.key).duration)
    assert len(engine.syntheses()) == 2


def test_a_corrupted_file_of_the_same_size_is_regenerated(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Hold it there.", "en-US")
    damaged = bytearray(prompt.data)
    damaged[200:400] = bytes(200)
    prompt.path.write_bytes(bytes(damaged))
    assert cache.ensure(engine, "Hold it there.", "en-US").created
    assert prompt.path.read_bytes() == prompt.data  # same text, same engine: the same bytes again


def test_a_failed_synthesis_leaves_no_file_behind(cache: AudioCache, tmp_path: Path) -> None:
    engine = CountingEngine(tmp_path / "n.txt", fail_on=frozenset({"Go!"}))
    with pytest.raises(RuntimeError, match="on purpose"):
        cache.ensure(engine, "Go!", "en-US")
    assert files_under(cache.root, "*.mp3") == [] and files_under(cache.root, "*.tmp") == []


def test_a_cache_that_cannot_be_written_still_returns_the_audio(tmp_path: Path, engine: CountingEngine) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory should be")
    prompt = AudioCache(blocked).ensure(engine, "Rest for 10 seconds.", "en-US")
    assert prompt.path is None and prompt.created
    assert mp3.duration(prompt.data) > 0.5


def test_a_broken_manifest_still_returns_the_audio(cache: AudioCache, engine: CountingEngine) -> None:
    cache.root.mkdir(parents=True)
    cache.manifest.write_bytes(b"this is not a SQLite database" * 10)
    prompt = cache.ensure(engine, "Three.", "en-US")
    assert mp3.duration(prompt.data) > 0.2
    assert cache.lookup("Three.", "en-US", identity(engine, "en-US")) is None


def test_two_processes_warming_the_same_texts_make_each_prompt_once(tmp_path: Path) -> None:
    texts = [f"Exercise {n} of 30: band squat." for n in range(1, 31)]
    audio_dir, counter = tmp_path / "audio", tmp_path / "syntheses.txt"
    command = [sys.executable, str(SUPPORT), str(audio_dir), str(counter), *texts]
    procs = [subprocess.Popen(command) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert sorted(counter.read_text().splitlines()) == sorted(texts)
    cache = AudioCache(audio_dir)
    assert len(cache.entries()) == len(texts) == len(files_under(audio_dir, "*.mp3"))
    assert files_under(audio_dir, "*.tmp") == []


# --- lookups on the request path --------------------------------------------------------------


def test_lookup_finds_prompts_by_the_identity_the_last_warm_remembered(
    cache: AudioCache, engine: CountingEngine
) -> None:
    prompt = cache.ensure(engine, "Switch sides.", "en-US")
    assert cache.lookup("Switch sides.", "en-US") is None  # no warm has said which engine to use
    cache.remember_identity("en-US", identity(engine, "en-US"))
    entry = cache.lookup("Switch sides.", "en-US")
    assert entry is not None and entry.key == prompt.key and entry.path == prompt.path
    assert cache.identity_for("en-US") == identity(engine, "en-US")
    assert cache.lookup("Switch sides.", "en-GB") is None


def test_lookup_many_answers_all_or_nothing_in_order(cache: AudioCache, engine: CountingEngine) -> None:
    for text in ("Three.", "Two.", "One."):
        cache.ensure(engine, text, "en-US")
    cache.remember_identity("en-US", identity(engine, "en-US"))
    found = cache.lookup_many(["One.", "Two.", "One."], "en-US")
    assert found is not None and [e.text for e in found] == ["One.", "Two.", "One."]
    assert cache.lookup_many(["One.", "Zero."], "en-US") is None


def test_lookup_each_names_the_missing_texts_in_place(cache: AudioCache, engine: CountingEngine) -> None:
    cache.ensure(engine, "One.", "en-US")
    cache.remember_identity("en-US", identity(engine, "en-US"))
    found = cache.lookup_each(["Zero.", "One.", "Two."], "en-US")
    assert [e.text if e else None for e in found] == [None, "One.", None]


def test_lookup_misses_a_prompt_whose_file_was_cut_short(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Go!", "en-US")
    cache.remember_identity("en-US", identity(engine, "en-US"))
    prompt.path.write_bytes(prompt.data[:100])
    assert cache.lookup("Go!", "en-US") is None
    assert cache.path_for(prompt.key) is None


def test_lookup_marks_prompts_as_recently_used(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Go!", "en-US")
    cache.remember_identity("en-US", identity(engine, "en-US"))
    cache.touch([prompt.key], when=1000.0, force=True)
    cache.lookup("Go!", "en-US")
    assert cache.get(prompt.key).last_used > 1000.0


def test_path_for_knows_only_well_formed_cached_keys(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Go!", "en-US")
    assert cache.path_for(prompt.key) == prompt.path
    assert cache.path_for(prompt.key.upper()) is None
    assert cache.path_for("0" * 64) is None
    assert cache.path_for("../" + prompt.key[3:]) is None


# --- upkeep ----------------------------------------------------------------------------------


def test_stats_count_size_and_duration_per_engine(cache: AudioCache, engine: CountingEngine) -> None:
    made = [cache.ensure(engine, text, "en-US") for text in ("Three.", "Two.")]
    stats = cache.stats()
    assert stats.count == 2 and stats.size == sum(len(p.data) for p in made)
    assert stats.duration == pytest.approx(sum(p.duration for p in made))
    assert list(stats.per_engine) == ["espeak"] and stats.per_engine["espeak"].count == 2


def test_prune_keeps_within_the_bound_and_drops_least_recently_used_first(
    cache: AudioCache, engine: CountingEngine
) -> None:
    texts = ["Three.", "Two.", "One.", "Go!", "Rest."]
    made = {t: cache.ensure(engine, t, "en-US") for t in texts}
    for age, text in enumerate(["Go!", "Three.", "Rest.", "One.", "Two."]):  # Go! used longest ago
        cache.touch([made[text].key], when=1000.0 + age, force=True)
    keep = ["One.", "Two."]
    bound = sum(len(made[t].data) for t in keep) + 10
    result = cache.prune(bound)
    assert result.removed == 3 and result.remaining <= bound
    assert sorted(e.text for e in cache.entries()) == sorted(keep)
    assert {p.name for p in files_under(cache.root, "*.mp3")} == {f"{made[t].key}.mp3" for t in keep}


def test_a_served_prompt_survives_prune_over_an_older_untouched_one(
    cache: AudioCache, engine: CountingEngine
) -> None:
    served, idle = cache.ensure(engine, "Go!", "en-US"), cache.ensure(engine, "Rest.", "en-US")
    cache.touch([served.key], when=1000.0, force=True)  # served was the least recently used...
    cache.touch([idle.key], when=2000.0, force=True)
    assert cache.path_for(served.key) == served.path  # ...until GET /audio/ (or the renderer) looked it up
    cache.prune(len(served.data) + 10)
    assert [e.key for e in cache.entries()] == [served.key]


def test_prune_forgets_prompts_whose_files_vanished(cache: AudioCache, engine: CountingEngine) -> None:
    prompt = cache.ensure(engine, "Go!", "en-US")
    prompt.path.unlink()
    cache.prune(10**9)
    assert cache.entries() == []
