"""Tone cues, heard: an exported routine is decoded and each tone is found by its pitch at its planned time.

The routine is exported by `bandcoach export` from a cache warmed with real espeak-ng, decoded with
ffmpeg, and searched with a narrow-band detector: a 30 ms window counts as a tone when nearly all of
its energy sits at one tone's frequency (speech spreads its energy over many harmonics, so it never
does). The timeline says where each tone should start; the detector says where it does.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support.handsfree_support import BAND, LOCALE, ROUTINE, VARIANT

from audio import profile, render, tones
from audio.cache import AudioCache
from audio.local import LocalSegments
from skill.cli import cli
from skill.segments import block_cues, fingerprint, publishable_runs, session_cues
from skill.timeline import TONE, TONE_SLOTS, Timeline

NAME = f"{ROUTINE}-{VARIANT.value}-{BAND.value}"
WINDOW = 0.030  # seconds: long enough to tell the pitches apart, short enough to place an onset
HOP = 0.005
PURITY = 0.8  # share of a window's energy at the tone's frequency (a pure tone: 1.0; speech: under 0.5 for long)
HELD = 0.05  # seconds the purity must last: a vowel can be pure for a window, never for 50 ms (the shortest tone: 120)
AUDIBLE_DBFS = -40.0  # quieter windows are the tails of fades, not a tone
TOLERANCE = 0.1  # seconds between a tone's planned start and where it is heard


@dataclass(frozen=True, slots=True)
class Heard:
    """A tone found in the audio: which one, and when it starts (seconds from the start of the file)."""

    name: str
    at: float


def decoded(path: Path) -> np.ndarray:
    """The file's audio as ffmpeg decodes it: mono float samples at the profile's rate."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f32le", "-ac", "1",
                          "-ar", str(profile.SAMPLE_RATE), "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).astype(np.float64)


def detect(samples: np.ndarray, name: str) -> list[float]:
    """Start times of every run of windows, HELD long or more, whose energy is almost all at tone `name`'s pitch."""
    rate, n = profile.SAMPLE_RATE, round(WINDOW * profile.SAMPLE_RATE)
    hop = round(HOP * rate)
    phase = np.exp(-2j * np.pi * tones.TONES[name].hertz * np.arange(len(samples)) / rate)
    at_pitch = np.concatenate(([0], np.cumsum(samples * phase)))
    energy = np.concatenate(([0.0], np.cumsum(samples**2)))
    starts = np.arange(0, len(samples) - n, hop)
    projected = np.abs(at_pitch[starts + n] - at_pitch[starts]) ** 2
    total = energy[starts + n] - energy[starts]
    loud = total / n > 10 ** (AUDIBLE_DBFS / 10)
    purity = np.where(loud, projected / np.maximum(total * n / 2, 1e-20), 0.0)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (purity > PURITY).astype(np.int8), [0]))))
    return [float(starts[a] / rate) for a, b in zip(edges[::2], edges[1::2], strict=True) if (b - a) * HOP >= HELD]


def heard_tones(path: Path) -> list[Heard]:
    samples = decoded(path)
    return sorted((Heard(name, at) for name in tones.TONES for at in detect(samples, name)), key=lambda h: h.at)


def planned_tones(timeline: Timeline) -> list[Heard]:
    """Each tone cue's start in the exported file by the timeline: its block's start (whole frames) plus its offset."""
    planned = []
    for block, start in zip(timeline.blocks, block_starts(timeline), strict=False):
        cues = block_cues(timeline, block.index, tones=True)
        offsets = [0.0, *accumulate(c.seconds for c in cues)]
        planned += [Heard(c.params["tone"], start + at) for c, at in zip(cues, offsets, strict=False) if c.kind == TONE]
    return planned


def block_starts(timeline: Timeline) -> list[float]:
    return [0.0, *accumulate(render.frames_for(b.seconds) * profile.FRAME_SECONDS for b in timeline.blocks)]


def words_before(cache: AudioCache, timeline: Timeline) -> list[float]:
    """For each tone, when the words before it in its block end (whole frames from the file's start).

    A spoken line longer than its timeline slot pushes what follows it (audio/render.py), a tone too:
    then the tone is heard right after those words rather than at its planned time.
    """
    ends = []
    for block, start in zip(timeline.blocks, block_starts(timeline), strict=False):
        cursor = 0
        at = 0.0
        for slot, cue in zip(render.plan_block(cache, timeline, block.index).slots,
                             block_cues(timeline, block.index, tones=True), strict=True):
            if cue.kind == TONE:
                ends.append(start + cursor * profile.FRAME_SECONDS)
            if slot.clip is not None:
                cursor = max(cursor, render.frames_for(at)) + render.audio_frames(slot.clip.path.read_bytes())[1]
            at += slot.seconds
    return ends


def export(audio: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *, tones_setting: str) -> Path:
    monkeypatch.setenv("BANDCOACH_AUDIO_DIR", str(audio))
    monkeypatch.setenv("BANDCOACH_TONES", tones_setting)
    result = CliRunner().invoke(cli, ["export", ROUTINE, "--variant", VARIANT.value, "--band", BAND.value,
                                      "--locale", LOCALE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / f"{NAME}.mp3"


@dataclass(frozen=True, slots=True)
class Export:
    """A routine exported with tones on: the tones heard in it, and the cache it was made from."""

    heard: list[Heard]
    cache: AudioCache


@pytest.fixture(scope="module")
def with_tones(warm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Export:
    root = tmp_path_factory.mktemp("tones_on")
    shutil.copytree(warm_dir, root / "audio")
    with pytest.MonkeyPatch.context() as monkeypatch:
        heard = heard_tones(export(root / "audio", root / "out", monkeypatch, tones_setting="1"))
    return Export(heard, AudioCache(root / "audio"))


@pytest.mark.slow
def test_every_planned_tone_is_heard_at_its_time(with_tones: Export, timeline: Timeline) -> None:
    """Within TOLERANCE of the timeline, or, when the line before it ran past its slot, right after that line."""
    planned = planned_tones(timeline)
    assert {p.name for p in planned} == set(tones.TONES)  # the routine has all three kinds
    late = 0
    for tone, after_words in zip(planned, words_before(with_tones.cache, timeline), strict=True):
        expected = max(tone.at, after_words)
        late += expected > tone.at + TOLERANCE
        near = [h for h in with_tones.heard if h.name == tone.name and abs(h.at - expected) <= TOLERANCE]
        assert near, f"no {tone.name} tone heard within {TOLERANCE} s of {expected:.2f} s (planned {tone.at:.2f} s)"
    assert late <= len(planned) // 10  # an overrunning line is the exception (here: 1 of 28)


@pytest.mark.slow
def test_nothing_but_the_planned_tones_is_heard_as_a_tone(with_tones: Export, timeline: Timeline) -> None:
    assert [h.name for h in with_tones.heard] == [p.name for p in planned_tones(timeline)]


@pytest.mark.slow
def test_bandcoach_tones_0_exports_the_voice_alone(warm_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(warm_dir, tmp_path / "audio")
    assert heard_tones(export(tmp_path / "audio", tmp_path / "out", monkeypatch, tones_setting="0")) == []


def test_each_tone_ends_inside_its_slot() -> None:
    assert all(tones.fits_slot(name) for name in TONE_SLOTS)
    assert set(TONE_SLOTS) == set(tones.TONES)


def test_a_tone_is_made_once_in_the_profile_at_the_speech_loudness(tmp_path: Path) -> None:
    from audio import loudness, mp3

    cache = AudioCache(tmp_path)
    first = tones.ensure_tone(cache, "go")
    again = tones.ensure_tone(cache, "go")
    assert again.key == first.key == tones.tone_key("go") and again.created == first.created
    data = first.path.read_bytes()
    meta = mp3.info(first.path)
    assert (meta.version, meta.layer, meta.sample_rate, meta.bitrate, meta.channels) == (2, 3, 24_000, 48_000, 1)
    samples = mp3.decode(data).astype(np.float64) / 32768.0
    assert loudness.integrated_in_silence(samples, mp3.SAMPLE_RATE) == pytest.approx(mp3.TARGET_LUFS, abs=0.5)


def test_hands_free_and_session_runs_differ_only_where_they_should(timeline: Timeline) -> None:
    toned, plain = block_cues(timeline, 0, tones=True), block_cues(timeline, 0, tones=False)
    assert fingerprint(toned, LOCALE) != fingerprint(plain, LOCALE)  # a cache never serves the other kind
    assert any(c.kind == TONE for c in toned) and not any(c.kind == TONE for c in plain)
    assert not any(c.kind == TONE for i in range(len(timeline.blocks)) for c in session_cues(timeline, i))
    assert not any(c.kind == TONE for _, cues in publishable_runs(timeline, tones=False) for c in cues)


def test_a_hands_free_segment_from_the_local_cache_carries_its_tones(warm_dir: Path, tmp_path: Path,
                                                                     timeline: Timeline) -> None:
    shutil.copytree(warm_dir, tmp_path / "audio")
    source = LocalSegments(tmp_path / "audio")
    cues = block_cues(timeline, 0, tones=True)
    ref = source.find(cues, routine=ROUTINE, locale=LOCALE, index=0)
    assert ref is not None
    path = source.cache.path_for(ref.key)
    assert path is not None
    offsets = [0.0, *accumulate(c.seconds for c in cues)]
    planned = [(c.params["tone"], at) for c, at in zip(cues, offsets, strict=False) if c.kind == TONE]
    heard = [(h.name, h.at) for h in heard_tones(path)]
    assert [name for name, _ in heard] == [name for name, _ in planned]
    assert [at for _, at in heard] == pytest.approx([at for _, at in planned], abs=TOLERANCE)
