"""The coaching timing spec, heard: get-set silence and 1 Hz countdowns measured in the decoded MP3 segments.

tests/test_coaching_timing.py checks the spec in SSML; here every built-in routine is rendered to real
audio (espeak-ng clips from the prompt cache, joined by audio/render.py), decoded with miniaudio, and
timed from the loudness of the samples themselves. The timeline's cue offsets only choose where to look.
Segments are rendered as a runner hears them, tone cues included (the default): a count's onset is then
its tone, which its word follows within the same second, and "go" ends the get-set silence with its tone.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path

import miniaudio
import numpy as np
import pytest
from support.builtin_catalog import ROUTINE_IDS, builtin_catalog

from audio import render
from audio.cache import AudioCache, canonical_text
from audio.engines.espeak import EspeakEngine
from audio.profile import SAMPLE_RATE
from audio.warm import warm
from skill.timeline import Block, Timeline, get_set_after

WINDOW = 0.002  # seconds per analysis window: short, so an onset is placed to within 2 ms
SILENT_DBFS = -60.0  # quieter is silence: prompts are levelled to -16 LUFS, joined silence decodes to zeros
LONG_PAUSE = 1.0  # seconds: longer than any pause between the words or sentences of one spoken line
NEW_LINE_PAUSE = 0.2  # seconds of silence before an onset that starts a new line (not the next syllable)
# The silence may measure a little short of the gate without the coach being late: each cue starts on the
# nearest 24 ms MP3 frame (up to 12 ms early at each end of the gap, 24 ms in all) and the analysis
# windows can each lose part of a window at both edges (4 ms): 28 ms at most, so 50 ms with room to spare.
GAP_TOLERANCE = 0.050
# A count is heard 1.0 s after the one before, within 60 ms. Measured: 0.942 to 1.040 s. 1.0 s is 41.7 frames,
# so counts start 0.984 or 1.008 s apart, and the clips' speech starts at different depths: 46 ms into
# "One." (espeak-ng voices it from its first sample, so the trim keeps no lead-in), 57 ms into "Three.",
# 89 ms into "Two.". Little margin is left: a worse lead-in from a new espeak-ng fails here, as it should.
COUNT_TOLERANCE = 0.060


@dataclass(frozen=True, slots=True)
class Heard:
    """One rendered block, decoded: which 2 ms windows are silent."""

    silent: np.ndarray  # bool per window

    @classmethod
    def decode(cls, mp3: bytes) -> Heard:
        sound = miniaudio.decode(mp3, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1,
                                 sample_rate=SAMPLE_RATE)
        samples = np.frombuffer(sound.samples, dtype=np.int16).astype(np.float64) / 32768.0
        size = round(SAMPLE_RATE * WINDOW)
        windows = samples[: len(samples) // size * size].reshape(-1, size)
        rms = np.sqrt(np.mean(windows**2, axis=1))
        return cls(20 * np.log10(np.maximum(rms, 1e-9)) < SILENT_DBFS)

    @property
    def seconds(self) -> float:
        return len(self.silent) * WINDOW

    def silent_runs(self) -> list[tuple[float, float]]:
        """(start, end) in seconds of every run of silent windows."""
        edges = np.flatnonzero(np.diff(np.concatenate(([0], self.silent.astype(np.int8), [0]))))
        return [(a * WINDOW, b * WINDOW) for a, b in zip(edges[::2], edges[1::2], strict=True)]

    def onsets(self) -> list[float]:
        """Seconds at which speech starts after at least NEW_LINE_PAUSE of silence."""
        return [end for start, end in self.silent_runs() if end - start >= NEW_LINE_PAUSE and end < self.seconds]

    def speech_between(self, start: float, end: float) -> float:
        """Seconds of sound (windows above the silence threshold) in [start, end)."""
        return float(np.count_nonzero(~self.silent[round(start / WINDOW):round(end / WINDOW)])) * WINDOW


def cue_starts(block: Block) -> list[float]:
    """Planned start of each cue of a block's segment (its cues, then its rest), from the timeline."""
    return [0.0, *accumulate(c.seconds for c in (*block.cues, *block.rest))][:-1]


def silence_after_dose(block: Block, heard: Heard) -> float:
    """The silence heard between the end of the dose cue's words and the next words.

    The dose cue's slot only says where to look: the first long silence that begins inside it (its
    words may start late if the line before overran, so not at a fixed offset) is measured from samples.
    """
    cues = [*block.cues, *block.rest]
    index = next(i for i, c in enumerate(cues) if c.kind == "dose")
    start = cue_starts(block)[index]
    end = start + cues[index].seconds
    runs = [(a, b) for a, b in heard.silent_runs() if start <= a < end and b - a >= LONG_PAUSE]
    assert runs, f"{block.exercise.id}: no pause heard after {cues[index].text!r}"
    silence_start, silence_end = runs[0]
    assert heard.speech_between(start, silence_start) >= 0.3, f"{block.exercise.id}: {cues[index].text!r} not heard"
    assert silence_end < heard.seconds, f"{block.exercise.id}: nothing is said after {cues[index].text!r}"
    return silence_end - silence_start


def countdown_spacings(block: Block, heard: Heard) -> list[float]:
    """Seconds between the onsets of consecutive counts ("Three." to "Two.", "Two." to "One.") in the block.

    The first count of each countdown is the onset nearest its planned start; the counts after it are
    simply the next onsets in the audio, so a countdown said too fast or too slow shows in the spacing.
    """
    cues = [*block.cues, *block.rest]
    starts = cue_starts(block)
    onsets = heard.onsets()
    spacings = []
    for i, cue in enumerate(cues):
        if cue.kind != "count" or (i and cues[i - 1].kind == "count"):
            continue  # not the first count of a countdown
        run = next((j for j in range(i, len(cues)) if cues[j].kind != "count"), len(cues)) - i
        first = min(range(len(onsets)), key=lambda k: abs(onsets[k] - starts[i]), default=None)
        assert first is not None and abs(onsets[first] - starts[i]) < 0.25, \
            f"{block.exercise.id}: no {cue.text!r} heard near {starts[i]:.2f} s"
        heard_counts = onsets[first:first + run]
        assert len(heard_counts) == run, f"{block.exercise.id}: the countdown at {starts[i]:.2f} s is cut short"
        spacings += [b - a for a, b in pairwise(heard_counts)]
    return spacings


@pytest.fixture(scope="module")
def timelines() -> dict[str, Timeline]:
    catalog = builtin_catalog()
    return {routine_id: catalog.timeline(routine_id) for routine_id in ROUTINE_IDS}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, timelines: dict[str, Timeline]) -> AudioCache:
    """Every cue of every built-in routine, spoken once by real espeak-ng (about 200 lines, a few seconds)."""
    cache = AudioCache(Path(tmp_path_factory.mktemp("coaching_audio")))
    texts = list(dict.fromkeys(canonical_text(c.text) for t in timelines.values() for c in t.cues() if c.text.strip()))
    # TTSEngine declares `version` a settable attribute and EspeakEngine gives a read-only property.
    report = warm(cache, EspeakEngine(), texts, "en-US")
    assert report.failed == 0, report.failures
    return cache


@pytest.fixture(scope="module")
def heard(cache: AudioCache, timelines: dict[str, Timeline]) -> dict[str, list[Heard]]:
    """Each routine's blocks, rendered to MP3 segments and decoded."""
    return {routine_id: [Heard.decode(s.read()) for s in render.render_timeline(cache, timeline)]
            for routine_id, timeline in timelines.items()}


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_the_silence_heard_after_the_instructions_is_at_least_the_get_set_time(
    timelines: dict[str, Timeline], heard: dict[str, list[Heard]], routine_id: str,
) -> None:
    timeline = timelines[routine_id]
    before = [None, *(b.exercise for b in timeline.blocks)]
    for index, (block, audio) in enumerate(zip(timeline.blocks, heard[routine_id], strict=True)):
        gate = get_set_after(before[index], block.exercise)
        gap = silence_after_dose(block, audio)
        assert gap >= gate - GAP_TOLERANCE, f"{block.exercise.id}: {gap:.2f} s of silence to get set, not {gate} s"


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_countdown_counts_are_heard_one_second_apart(
    timelines: dict[str, Timeline], heard: dict[str, list[Heard]], routine_id: str,
) -> None:
    timeline = timelines[routine_id]
    spacings = [s for block, audio in zip(timeline.blocks, heard[routine_id], strict=True)
                for s in countdown_spacings(block, audio)]
    assert spacings, f"{routine_id} has no countdown to hear"
    assert spacings == pytest.approx([1.0] * len(spacings), abs=COUNT_TOLERANCE)
