"""Alexa's MP3 profile: real espeak-ng and Google-like input, decoded back and measured."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from support.audio_support import wav_bytes, wav_samples
from support.gtts_standin import google_like_mp3

from audio import loudness, mp3
from audio.engines.espeak import EspeakEngine
from audio.engines.piper import PiperEngine

TEXT = "Lateral band walk. Step wide and keep your knees out."


@pytest.fixture(scope="module")
def espeak_wav() -> bytes:
    return EspeakEngine().synthesize(TEXT, "en-US").data


def speech_level(data: bytes) -> float:
    """Integrated loudness (LUFS) of an MP3 or WAV between silences (0.4 s each side, as a clip is levelled),
    by pyloudnorm, a meter independent of audio.loudness."""
    samples = np.pad(mp3.decode(data).astype(np.float64) / 32768.0, round(0.4 * mp3.SAMPLE_RATE))
    return float(pyloudnorm.Meter(mp3.SAMPLE_RATE).integrated_loudness(samples))


def written(tmp_path: Path, data: bytes, name: str = "x.mp3") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_espeak_wav_becomes_mpeg2_layer3_mono_24khz_48kbps(tmp_path: Path, espeak_wav: bytes) -> None:
    meta = mp3.info(written(tmp_path, mp3.to_alexa_mp3(espeak_wav)))
    assert (meta.version, meta.layer, meta.sample_rate, meta.bitrate, meta.channels) == (2, 3, 24_000, 48_000, 1)


def test_google_32kbps_mp3_is_reencoded_to_48kbps(tmp_path: Path) -> None:
    source = google_like_mp3(TEXT, "en-us")
    assert mp3.info(written(tmp_path, source, "g.mp3")).bitrate == 32_000
    meta = mp3.info(written(tmp_path, mp3.to_alexa_mp3(source)))
    assert (meta.sample_rate, meta.bitrate, meta.channels) == (24_000, 48_000, 1)


def test_leading_and_trailing_silence_is_trimmed(espeak_wav: bytes) -> None:
    samples, rate = wav_samples(espeak_wav)
    padded = wav_bytes(np.concatenate([np.zeros(rate * 2, np.int16), samples, np.zeros(rate * 2, np.int16)]), rate)
    plain, trimmed = mp3.duration(mp3.to_alexa_mp3(espeak_wav)), mp3.duration(mp3.to_alexa_mp3(padded))
    assert abs(trimmed - plain) < 0.05
    assert trimmed < len(samples) / rate + 0.2  # no more than the pads and the encoder's own delay


def test_quiet_and_loud_engines_end_up_at_the_same_loudness(espeak_wav: bytes) -> None:
    samples, rate = wav_samples(espeak_wav)
    quiet = wav_bytes((samples * 0.05).astype(np.int16), rate)
    sources = [espeak_wav, quiet, google_like_mp3(TEXT, "en-gb")]
    piper = PiperEngine()
    if piper.available():  # the [piper] extra: the neural voice must sit with the others too
        sources.append(piper.synthesize(TEXT, "en-US").data)
    levels = [speech_level(mp3.to_alexa_mp3(src)) for src in sources]
    assert max(levels) - min(levels) < 1.0
    assert levels == pytest.approx([mp3.TARGET_LUFS] * len(levels), abs=0.5)


def test_levelling_never_leaves_a_true_peak_over_the_ceiling() -> None:
    rate = 24_000
    t = np.arange(rate) / rate
    spiky = (np.sin(2 * np.pi * 220 * t) * 800).astype(np.int16)
    spiky[::2400] = 30_000  # a few clicks far louder than the tone
    out = mp3.normalise(spiky).astype(np.float64) / 32768.0
    assert loudness.true_peak(out) <= mp3.TRUE_PEAK_CEILING_DBTP + 0.05  # the int16 rounding


def test_the_limiter_leaves_audio_under_the_ceiling_untouched() -> None:
    quiet = np.sin(2 * np.pi * 440 * np.arange(2400) / 24_000) * 0.1
    assert np.array_equal(mp3.limiter_gain(loudness.oversampled_peaks(quiet), -3.0), np.ones(2400))


def test_a_clip_decodes_at_the_target_loudness_and_under_alexas_true_peak(espeak_wav: bytes) -> None:
    decoded = mp3.decode(mp3.to_alexa_mp3(espeak_wav)).astype(np.float64) / 32768.0
    assert loudness.integrated_in_silence(decoded, mp3.SAMPLE_RATE) == pytest.approx(mp3.TARGET_LUFS, abs=0.3)
    assert loudness.true_peak(decoded) <= -2.0  # Alexa's limit; the encoder's overshoot included


def test_pure_silence_is_refused() -> None:
    with pytest.raises(mp3.AudioError, match="only silence"):
        mp3.to_alexa_mp3(wav_bytes(np.zeros(22050, np.int16)))


def test_undecodable_bytes_raise_audio_error() -> None:
    with pytest.raises(mp3.AudioError, match="cannot decode"):
        mp3.to_alexa_mp3(b"this is not audio" * 100)


@pytest.mark.parametrize(("seconds", "expected"), [(0.24, 0.24), (1.0, 1.008), (10.0, 9.999), (0.0, 0.024)])
def test_silence_lasts_whole_frames_closest_to_the_request(seconds: float, expected: float) -> None:
    data = mp3.silence(seconds)
    assert mp3.duration(data) == pytest.approx(expected, abs=0.013)
    assert len(data) % 144 == 0


def test_silence_is_in_the_alexa_profile_and_silent(tmp_path: Path) -> None:
    data = mp3.silence(2.0)
    meta = mp3.info(written(tmp_path, data))
    assert (meta.version, meta.layer, meta.sample_rate, meta.bitrate, meta.channels) == (2, 3, 24_000, 48_000, 1)
    assert not mp3.decode(data).any()


def test_silence_joins_prompts_without_changing_their_length(espeak_wav: bytes) -> None:
    prompt, gap = mp3.to_alexa_mp3(espeak_wav), mp3.silence(1.2)
    assert mp3.duration(prompt + gap + prompt) == pytest.approx(2 * mp3.duration(prompt) + mp3.duration(gap),
                                                                abs=0.001)


def test_negative_silence_is_refused() -> None:
    with pytest.raises(ValueError, match="0 seconds or more"):
        mp3.silence(-1)


def test_duration_counts_decoded_samples(espeak_wav: bytes) -> None:
    data = mp3.to_alexa_mp3(espeak_wav)
    assert mp3.duration(data) == pytest.approx(mp3.decode(data).size / 24_000, abs=1e-6)
