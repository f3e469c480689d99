"""Loudness: audio.loudness held to two reference meters, and a real export measured by ffmpeg's EBU R128 meter.

Exports must measure -16 LUFS integrated (+/- 1 LU) with true peaks at or under -1 dBTP (the podcast
norm), and -2 dBTP (Alexa's ceiling for the same segments). Each clip is levelled once when it is
cached; the export only joins clips and silence, so this is where the two meet.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from click.testing import CliRunner
from support.handsfree_support import BAND, LOCALE, ROUTINE, VARIANT

from audio import loudness, mp3
from audio.engines.espeak import EspeakEngine
from skill.cli import cli

RATE = mp3.SAMPLE_RATE


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """Trimmed espeak-ng speech, as the cache receives it, in floats."""
    wav = EspeakEngine().synthesize("Lateral band walk. Step wide and keep your knees out.", "en-US").data
    return mp3.trim(mp3.decode(wav)).astype(np.float64) / 32768.0


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of a file's first audio stream by ffmpeg's ebur128 filter."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
                          "-filter:a", "ebur128=peak=true", "-f", "null", "-"],
                         check=True, capture_output=True, text=True).stderr
    summary = out[out.rindex("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated and peak, summary
    return float(integrated.group(1)), float(peak.group(1))


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.clip(np.round(samples * 32767), -32768, 32767).astype(np.int16).tobytes())
    return path


@pytest.mark.parametrize("kind", ["speech", "noise", "low tone", "high tone"])
def test_integrated_loudness_agrees_with_pyloudnorm(kind: str, speech: np.ndarray) -> None:
    t = np.arange(RATE * 3) / RATE
    signal = {"speech": speech, "noise": np.random.default_rng(7).normal(0, 0.1, RATE * 5),
              "low tone": 0.5 * np.sin(2 * np.pi * 100 * t), "high tone": 0.3 * np.sin(2 * np.pi * 5000 * t)}[kind]
    reference = pyloudnorm.Meter(RATE).integrated_loudness(signal)
    assert loudness.integrated(signal, RATE) == pytest.approx(reference, abs=0.15)


def test_integrated_loudness_and_true_peak_agree_with_ffmpeg(speech: np.ndarray, tmp_path: Path) -> None:
    quantised = np.round(speech * 32767) / 32767
    integrated, peak = ebur128(write_wav(tmp_path / "speech.wav", quantised))
    assert loudness.integrated(quantised, RATE) == pytest.approx(integrated, abs=0.15)
    assert loudness.true_peak(quantised) == pytest.approx(peak, abs=0.3)


def test_a_true_peak_between_samples_is_found() -> None:
    # A sine at a quarter of the rate, sampled 45 degrees off its crests: every sample is 0.707 of the peak.
    samples = np.sin(np.pi / 2 * np.arange(RATE) + np.pi / 4)
    assert 20 * np.log10(np.abs(samples).max()) == pytest.approx(-3.0, abs=0.05)
    assert loudness.true_peak(samples) == pytest.approx(0.0, abs=0.2)


def test_sound_shorter_than_a_block_is_measured_as_one_block() -> None:
    tone = 0.25 * np.sin(2 * np.pi * 1000 * np.arange(round(RATE * 0.2)) / RATE)
    assert loudness.integrated(tone, RATE) == pytest.approx(loudness.integrated(np.tile(tone, 10), RATE), abs=0.2)


def test_silence_has_no_loudness() -> None:
    assert loudness.integrated(np.zeros(RATE), RATE) == float("-inf")
    assert loudness.true_peak(np.zeros(RATE)) == float("-inf")


@pytest.fixture(scope="module")
def exported(warm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`bandcoach export` of the desk routine from a cache warmed with real espeak-ng (tones on, the default)."""
    root = tmp_path_factory.mktemp("loudness")
    shutil.copytree(warm_dir, root / "audio")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("BANDCOACH_AUDIO_DIR", str(root / "audio"))
        result = CliRunner().invoke(cli, ["export", ROUTINE, "--variant", VARIANT.value, "--band", BAND.value,
                                          "--locale", LOCALE, "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return root / "out" / f"{ROUTINE}-{VARIANT.value}-{BAND.value}.mp3"


@pytest.fixture(scope="module")
def measured(exported: Path) -> tuple[float, float]:
    """The export's (integrated LUFS, true peak dBTP) by ffmpeg's ebur128, measured once."""
    return ebur128(exported)


@pytest.mark.slow
def test_an_export_measures_minus_16_lufs_by_ffmpegs_meter(measured: tuple[float, float]) -> None:
    integrated, _ = measured
    assert integrated == pytest.approx(-16.0, abs=1.0)


@pytest.mark.slow
def test_an_exports_true_peak_stays_under_alexas_ceiling(measured: tuple[float, float]) -> None:
    _, peak = measured
    assert peak <= -2.0  # Alexa's -2 dBTP, so also the podcast norm's -1 dBTP


@pytest.mark.slow
def test_an_export_measures_minus_16_lufs_by_pyloudnorm(exported: Path) -> None:
    samples = mp3.decode(exported.read_bytes()).astype(np.float64) / 32768.0
    assert pyloudnorm.Meter(RATE).integrated_loudness(samples) == pytest.approx(-16.0, abs=1.0)
