"""Any engine's audio -> Alexa's MP3 profile: MPEG-2 Layer III, mono, 24 kHz, 48 kbps, trimmed, at -16 LUFS."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import lameenc
import miniaudio
import mutagen.mp3
import numpy as np

from audio import loudness
from audio.profile import (  # noqa: F401 - re-exported: mp3.SAMPLE_RATE, mp3.silence etc. are the profile
    BITRATE_KBPS,
    CHANNELS,
    ENCODED_TOLERANCE_LU,
    FORMAT_VERSION,
    FRAME_SAMPLES,
    FRAME_SECONDS,
    GATE_DB,
    LAME_QUALITY,
    LEVEL_ROUNDS,
    LEVEL_TOLERANCE_LU,
    LIMITER_SECONDS,
    PAD_SECONDS,
    SAMPLE_RATE,
    SILENCE_DBFS,
    TARGET_LUFS,
    TRUE_PEAK_CEILING_DBTP,
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


def normalise(samples: np.ndarray, target_lufs: float = TARGET_LUFS) -> np.ndarray:
    """Bring a clip to `target_lufs` integrated loudness, true peaks limited to TRUE_PEAK_CEILING_DBTP."""
    clip = _Clip(samples)
    if not math.isfinite(clip.lufs):
        return samples
    return _to_int16(clip.x * clip.search_gain(target_lufs - clip.lufs, target_lufs)[0])


class _Clip:
    """A clip being levelled: its samples, K-weighted power (in silence) and true-peak envelope, measured once."""

    def __init__(self, samples: np.ndarray) -> None:
        self.x = samples.astype(np.float64) / 32768.0
        self.pad = round(SAMPLE_RATE * loudness.BLOCK_SECONDS)
        self.weighted = loudness.k_weighted(loudness.in_silence(self.x, SAMPLE_RATE), SAMPLE_RATE) ** 2
        self.lufs = loudness.gated(self.weighted, SAMPLE_RATE)  # as integrated_in_silence measures it
        self.peaks = loudness.oversampled_peaks(self.x)

    def search_gain(self, gain_db: float, target_lufs: float) -> tuple[np.ndarray, float]:
        """The gain curve (and its dB before limiting) that brings the clip to `target_lufs`.

        A gain, then the limiter turns down only the peaks that gain pushed over the ceiling; since
        limiting costs loudness, the gain is searched (secant steps on its dB, from `gain_db`: two or
        three rounds for speech). Each round scales the K-weighted power and the peak envelope by the
        gain curve, which changes too slowly to matter to the filter; encode_levelled measures the
        encoded result exactly.
        """
        before_db, before_lufs = 0.0, self.lufs
        gain = self.gain_curve(gain_db)
        for _ in range(LEVEL_ROUNDS):
            measured = loudness.gated(self.weighted * np.pad(gain, self.pad, mode="edge") ** 2, SAMPLE_RATE)
            if abs(measured - target_lufs) < LEVEL_TOLERANCE_LU or gain_db == before_db:
                break
            slope = min(1.0, max(0.2, (measured - before_lufs) / (gain_db - before_db)))  # limiting flattens it
            before_db, before_lufs = gain_db, measured
            gain_db += (target_lufs - measured) / slope
            gain = self.gain_curve(gain_db)
        return gain, gain_db

    def gain_curve(self, gain_db: float) -> np.ndarray:
        """Per sample: `gain_db` as a factor, times the limiter's gain for the peaks that gain brings."""
        gain = 10 ** (gain_db / 20)
        curve: np.ndarray = gain * limiter_gain(self.peaks * gain, TRUE_PEAK_CEILING_DBTP)
        return curve


def _to_int16(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    return out


def limiter_gain(peaks: np.ndarray, ceiling_dbtp: float) -> np.ndarray:
    """A look-ahead peak limiter's gain for a true-peak envelope: what each sample needs, held and smoothed.

    The hold (a running minimum over LIMITER_SECONDS either side) is as wide as the smoothing, so the
    smoothed gain never exceeds what any sample needs: no true peak is left above the ceiling, and
    quiet passages keep a gain of exactly 1.
    """
    needed: np.ndarray = np.minimum(1.0, 10 ** (ceiling_dbtp / 20) / np.maximum(peaks, 1e-12))
    if needed.min() >= 1.0:
        return needed
    half = max(1, round(SAMPLE_RATE * LIMITER_SECONDS))
    held = _running_min(np.pad(needed, half, mode="edge"), 2 * half + 1)
    sums = np.concatenate(([0.0], np.cumsum(np.pad(held, half, mode="edge"))))
    smooth = (sums[2 * half + 1:] - sums[: -2 * half - 1]) / (2 * half + 1)
    result: np.ndarray = np.minimum(smooth, needed)  # the minimum only absorbs float rounding
    return result


def _running_min(a: np.ndarray, width: int) -> np.ndarray:
    """min(a[i:i + width]) for every i (len(a) - width + 1 values), by doubling spans: log2(width) passes."""
    span, mins = 1, a
    while span * 2 <= width:
        mins = np.minimum(mins[:-span], mins[span:])
        span *= 2
    result: np.ndarray = np.minimum(mins[: len(a) - width + 1], mins[width - span: width - span + len(a) - width + 1])
    return result


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
    """Whatever an engine produced (WAV or MP3) -> a trimmed MP3 in Alexa's profile at TARGET_LUFS."""
    return encode_levelled(trim(decode(data)))


def encode_levelled(samples: np.ndarray) -> bytes:
    """Level `samples` to TARGET_LUFS and encode them, measuring the loudness of what the MP3 decodes to.

    The 48 kbps encoder drops the highest frequencies, which K-weighting counts, so a clip can lose up
    to about 1 LU in encoding: when it lost more than ENCODED_TOLERANCE_LU, the gain search runs again
    for a target that makes up the loss (from the gain it found: usually one round) and encodes once more.
    """
    clip = _Clip(samples)
    if not math.isfinite(clip.lufs):
        return encode(samples)
    gain, gain_db = clip.search_gain(TARGET_LUFS - clip.lufs, TARGET_LUFS)
    encoded = encode(_to_int16(clip.x * gain))
    heard = loudness.integrated_in_silence(decode(encoded).astype(np.float64) / 32768.0, SAMPLE_RATE)
    shortfall = TARGET_LUFS - heard
    if math.isfinite(heard) and abs(shortfall) >= ENCODED_TOLERANCE_LU:
        gain, _ = clip.search_gain(gain_db + shortfall, TARGET_LUFS + shortfall)
        encoded = encode(_to_int16(clip.x * gain))
    return encoded


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
