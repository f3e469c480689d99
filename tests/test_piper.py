"""Piper: a real neural voice from the installed voice package, heard by an offline recogniser, warmed in processes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.recogniser import transcribe

from audio import mp3
from audio.cache import AudioCache
from audio.engines import EngineIdentity, TTSEngine, describe, identity
from audio.engines.piper import PiperEngine, installed_voices, load_voice
from audio.warm import in_processes, warm, worker_count
from skill.config import LOCALES, Settings

pytestmark = pytest.mark.skipif(not PiperEngine().available(), reason="the piper extra is not installed")


@pytest.fixture(scope="module")
def piper() -> PiperEngine:
    """One engine for the module: its voice loads once in this process."""
    return PiperEngine()


def test_piper_speaks_a_cue_a_recogniser_understands(piper: PiperEngine) -> None:
    # Piper samples its prosody, so each synthesis differs a little: these words were heard 8 times in 8.
    speech = piper.synthesize("Switch sides. Rest.", "en-US")
    assert speech.format == "wav" and speech.data[:4] == b"RIFF"
    assert transcribe(mp3.to_alexa_mp3(speech.data)).split() == ["switch", "sides", "rest"]


def test_sentences_are_apart_by_the_coaching_pause(piper: PiperEngine) -> None:
    samples = mp3.decode(piper.synthesize("Three. Two.", "en-US").data)
    quiet = abs(samples.astype(int)) < 300
    longest, run = 0, 0
    for is_quiet in quiet:
        run = run + 1 if is_quiet else 0
        longest = max(longest, run)
    assert longest / mp3.SAMPLE_RATE >= piper.sentence_silence


def test_the_voice_package_is_found_and_speaks_every_english_locale(piper: PiperEngine) -> None:
    [joe] = [v for v in installed_voices() if v.name == "en_US-joe-medium"]
    assert joe.language == "en-US" and joe.model.is_file() and joe.config.is_file()
    assert {piper.voice(locale) for locale in LOCALES} == {f"en_US-joe-medium@{joe.version}"}


def test_identity_holds_release_voice_and_pace_and_reads_as_words(piper: PiperEngine) -> None:
    ident = identity(piper, "en-GB")
    assert ident == EngineIdentity("piper", piper.version, piper.voice("en-GB"), piper.rate)
    assert "length_scale=" in ident.rate and "sentence_silence=" in ident.rate
    assert describe(ident) == f"Piper {piper.voice('en-GB')} (piper-tts {piper.version})"


def test_a_slower_pace_is_another_cache_key(piper: PiperEngine) -> None:
    slower = PiperEngine(length_scale=piper.length_scale + 0.2)
    assert identity(slower, "en-US") != identity(piper, "en-US")


def test_the_voice_loads_once_per_process(piper: PiperEngine) -> None:
    [files] = piper.voices()
    assert load_voice(files.model, files.config) is load_voice(files.model, files.config)


def test_without_piper_installed_the_engine_says_how_to_install_it() -> None:
    engine = PiperEngine(module="piper_is_not_installed")
    assert not engine.available()
    assert "pip install 'bandcoach[piper]'" in engine.unavailable_reason


def test_a_voice_given_by_path_is_used_and_versioned_by_its_files(tmp_path: Path, piper: PiperEngine) -> None:
    [joe] = piper.voices()
    model = tmp_path / "en_GB-coach-medium.onnx"
    model.symlink_to(joe.model)
    shutil.copy(joe.config, tmp_path / "en_GB-coach-medium.onnx.json")
    engine = PiperEngine(voice_path=model)
    assert engine.available()
    assert engine.voice("en-GB").startswith("en_GB-coach-medium@") and engine.voice("en-GB") != piper.voice("en-GB")


def test_a_voice_path_that_is_not_a_voice_is_refused_with_the_fix(tmp_path: Path) -> None:
    engine = PiperEngine(voice_path=tmp_path / "missing.onnx")
    assert not engine.available()
    assert "BANDCOACH_PIPER_VOICE" in engine.unavailable_reason and ".onnx.json beside it" in engine.unavailable_reason


def test_the_hook_offers_piper_with_the_configured_voice(tmp_path: Path) -> None:
    from audio.engines.piper import bandcoach_tts_engines

    [engine] = bandcoach_tts_engines(Settings(piper_voice=tmp_path / "v.onnx"))
    assert isinstance(engine, TTSEngine) and engine.voice_path == tmp_path / "v.onnx"


@pytest.mark.slow
def test_warm_speaks_in_worker_processes_and_keeps_every_prompt(tmp_path: Path, piper: PiperEngine) -> None:
    assert in_processes(piper) and worker_count(piper) >= 1
    cache = AudioCache(tmp_path / "audio")
    texts = ["Glute bridge.", "Rest.", "Switch sides.", "Last one."]
    report = warm(cache, piper, texts, "en-US", workers=2)
    assert (report.new, report.failed) == (len(texts), 0), report.failures
    assert {e.engine for e in cache.entries()} == {"piper"}
    assert cache.identity_for("en-US") == identity(piper, "en-US")
    again = warm(cache, piper, texts, "en-US", workers=2)
    assert (again.new, again.cached) == (0, len(texts))
