"""Any engine's audio -> Alexa's MP3 profile: MPEG-2 Layer III, mono, 24 kHz, 48 kbps, trimmed, level."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import lameenc
import miniaudio
import mutagen.mp3
import numpy as np

from audio.profile import (  # noqa: F401 - re-exported: mp3.SAMPLE_RATE, mp3.silence etc. are the profile
    BITRATE_KBPS,
    CHANNELS,
    FORMAT_VERSION,
    FRAME_SAMPLES,
    FRAME_SECONDS,
    GATE_DB,
    LAME_QUALITY,
    PAD_SECONDS,
    PEAK_CEILING_DBFS,
    SAMPLE_RATE,
    SILENCE_DBFS,
    TARGET_RMS_DBFS,
    WINDOW_SECONDS,
    silence,
)


class AudioError(ValueError):
    """Audio we cannot turn into a prompt: undecodable, or nothing but silence."""


@dataclass(frozen=True, slots=True)
class Mp3Info:
    """What an MP3 file says about itself, read back with mutagen."""

    version: float
    layer: int
    sample_rate: int
    bitrate: int
    channels: int
    duration: float


class _MpegStream(Protocol):
    """The attributes mutagen documents for MPEGInfo; it copies them from a frame's __dict__, so its types lack them."""

    version: float
    layer: int
    sample_rate: int
    bitrate: int
    channels: int
    length: float


def decode(data: bytes) -> np.ndarray:
    """Decode WAV or MP3 bytes to mono 24 kHz signed 16-bit samples (miniaudio resamples)."""
    try:
        sound = miniaudio.decode(
            data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=CHANNELS, sample_rate=SAMPLE_RATE
        )
    except miniaudio.DecodeError as exc:
        raise AudioError(f"cannot decode audio ({len(data)} bytes): {exc}") from exc
    return np.frombuffer(sound.samples, dtype=np.int16)


def _window_dbfs(samples: np.ndarray) -> np.ndarray:
    """Loudness of each 10 ms window in dBFS."""
    size = int(SAMPLE_RATE * WINDOW_SECONDS)
    count = len(samples) // size
    if count == 0:
        return np.full(1, -120.0)
    windows = samples[: count * size].astype(np.float64).reshape(count, size) / 32768.0
    rms = np.sqrt(np.mean(windows**2, axis=1))
    levels: np.ndarray = 20 * np.log10(np.maximum(rms, 1e-6))
    return levels


def _voiced(levels: np.ndarray) -> np.ndarray:
    return levels > float(levels.max()) - GATE_DB


def trim(samples: np.ndarray) -> np.ndarray:
    """Cut leading and trailing silence, keeping a short pad; raise AudioError on pure silence."""
    levels = _window_dbfs(samples)
    voiced = np.flatnonzero(_voiced(levels))
    if levels.max() <= SILENCE_DBFS or voiced.size == 0:
        raise AudioError("the engine produced only silence")
    size = int(SAMPLE_RATE * WINDOW_SECONDS)
    pad = int(SAMPLE_RATE * PAD_SECONDS)
    start = max(0, voiced[0] * size - pad)
    end = min(len(samples), (voiced[-1] + 1) * size + pad)
    return samples[start:end]


def normalise(samples: np.ndarray) -> np.ndarray:
    """Bring the speech (voiced windows) to TARGET_RMS_DBFS without peaks above the ceiling."""
    levels = _window_dbfs(samples)
    voiced = _voiced(levels)
    if not voiced.any():
        return samples
    speech_rms_db = 10 * np.log10(np.mean(10 ** (levels[voiced] / 10)))
    peak = max(1, int(np.abs(samples.astype(np.int32)).max()))
    peak_db = 20 * math.log10(peak / 32768.0)
    gain_db = min(TARGET_RMS_DBFS - speech_rms_db, PEAK_CEILING_DBFS - peak_db)
    scaled = samples.astype(np.float64) * 10 ** (gain_db / 20)
    levelled: np.ndarray = np.clip(np.round(scaled), -32768, 32767).astype(np.int16)
    return levelled


def encode(samples: np.ndarray) -> bytes:
    """Encode mono 24 kHz samples as constant 48 kbps MPEG-2 Layer III."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_out_sample_rate(SAMPLE_RATE)
    encoder.set_channels(CHANNELS)
    encoder.set_quality(LAME_QUALITY)
    encoder.silence()  # LAME would otherwise print its banner to stdout
    return bytes(encoder.encode(samples.astype(np.int16).tobytes()) + encoder.flush())


def to_alexa_mp3(data: bytes) -> bytes:
    """Whatever an engine produced (WAV or MP3) -> a trimmed, levelled MP3 in Alexa's profile."""
    return encode(normalise(trim(decode(data))))


def duration(mp3_bytes: bytes) -> float:
    """Seconds of audio in MP3 bytes, by decoding them (exact, whatever the headers claim)."""
    try:
        seconds: float = miniaudio.mp3_get_info(mp3_bytes).duration
    except miniaudio.DecodeError as exc:
        raise AudioError(f"not an MP3 ({len(mp3_bytes)} bytes): {exc}") from exc
    return seconds


def info(path: str | Path) -> Mp3Info:
    """Version, layer, rate, bitrate, channels and length of an MP3 file, as mutagen reads them."""
    # mutagen declares FileType.info as None; an MP3 that loads always has an MPEGInfo (else it raises).
    meta = cast(_MpegStream, mutagen.mp3.MP3(str(path)).info)
    return Mp3Info(meta.version, meta.layer, meta.sample_rate, meta.bitrate, meta.channels, meta.length)
