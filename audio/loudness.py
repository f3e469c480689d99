"""A loudness meter for mono samples, numpy alone: ITU-R BS.1770-4 integrated loudness (LUFS) and true peak (dBTP).

The cache levels every clip with it once, at cache time (audio/mp3.py), so it must not need scipy
(pyloudnorm's dependency, a test tool here). K-weighting is the standard's two biquads (libebur128's
coefficients for any sample rate, which equal the standard's table at 48 kHz), applied as the
filters' impulse response by FFT convolution: the same causal filter, no per-sample Python loop.
tests/test_loudness.py holds it to pyloudnorm and to ffmpeg's ebur128 filter.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

BLOCK_SECONDS = 0.400  # the gating block of BS.1770-4
STEP_SECONDS = 0.100  # blocks overlap by 75%
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = 10.0
OVERSAMPLE = 4  # true peak: the standard's 4x oversampling
IMPULSE_SECONDS = 0.1  # the K-filter's response has died away long before this (its slowest pole: ~4 ms)


def _biquad_response(b: tuple[float, float, float], a: tuple[float, float, float], x: list[float]) -> list[float]:
    """One biquad run over a short signal in plain Python (used once per rate, on an impulse)."""
    out, x1, x2, y1, y2 = [], 0.0, 0.0, 0.0, 0.0
    for x0 in x:
        y0 = b[0] * x0 + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        out.append(y0)
        x1, x2, y1, y2 = x0, x1, y0, y1
    return out


@lru_cache(maxsize=4)
def k_filter_impulse(rate: int) -> np.ndarray:
    """The impulse response of BS.1770's K-weighting (high shelf, then high pass) at `rate`."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh, a0 = 10 ** (gain_db / 20), 1 + k / q + k * k
    vb = vh**0.4996667741545416
    shelf_b = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0)
    shelf_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    pass_b = (1.0, -2.0, 1.0)
    pass_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    impulse = [1.0] + [0.0] * (int(rate * IMPULSE_SECONDS) - 1)
    return np.array(_biquad_response(pass_b, pass_a, _biquad_response(shelf_b, shelf_a, impulse)))


@lru_cache(maxsize=32)
def _k_filter_spectrum(rate: int, size: int) -> np.ndarray:
    """The K-filter's impulse response as an FFT of `size` points (a clip's length rounds to few sizes)."""
    spectrum: np.ndarray = np.fft.rfft(k_filter_impulse(rate), size)
    return spectrum


def k_weighted(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` (floats, full scale 1.0) through the K-weighting filter, same length."""
    size = 1 << (len(samples) + round(rate * IMPULSE_SECONDS) - 1).bit_length()
    filtered = np.fft.irfft(np.fft.rfft(samples, size) * _k_filter_spectrum(rate, size), size)
    out: np.ndarray = filtered[: len(samples)]
    return out


def _lufs(mean_square: float | np.ndarray) -> np.ndarray:
    result: np.ndarray = -0.691 + 10 * np.log10(np.maximum(mean_square, 1e-20))
    return result


def integrated(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS (gated: absolute -70 LUFS, relative -10 LU); -inf for silence.

    Audio shorter than one 400 ms block (a tone, "Go!") is measured as one block over its whole length.
    """
    return gated(k_weighted(np.asarray(samples, dtype=np.float64), rate) ** 2, rate)


def gated(weighted_power: np.ndarray, rate: int) -> float:
    """Integrated loudness from K-weighted squared samples: BS.1770's 400 ms blocks, 75% overlap, two gates.

    Split from `integrated` so a caller trying several gains on one clip filters it once.
    """
    block, step = round(rate * BLOCK_SECONDS), round(rate * STEP_SECONDS)
    if len(weighted_power) < block:
        powers = np.array([weighted_power.mean()]) if len(weighted_power) else np.zeros(0)
    else:
        sums = np.concatenate(([0.0], np.cumsum(weighted_power)))
        starts = np.arange(0, len(weighted_power) - block + 1, step)
        powers = (sums[starts + block] - sums[starts]) / block
    powers = powers[_lufs(powers) > ABSOLUTE_GATE_LUFS]
    if powers.size == 0:
        return float("-inf")
    relative_gate = float(_lufs(powers.mean())) - RELATIVE_GATE_LU
    return float(_lufs(powers[_lufs(powers) > relative_gate].mean()))


def integrated_in_silence(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness of a clip as a program hears it between silences: one block of silence each side.

    A clip joined into a segment is gated with the blocks that straddle its edges, which are part
    silence and pull the program's loudness down (by about 0.8 LU for a routine of espeak-ng cues).
    Levelling each clip by this measure makes the joined program, not the lone clip, hit the target.
    """
    return integrated(in_silence(samples, rate), rate)


def in_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` with one gating block of silence before and after (see integrated_in_silence)."""
    padded: np.ndarray = np.pad(np.asarray(samples, dtype=np.float64), round(rate * BLOCK_SECONDS))
    return padded


@lru_cache(maxsize=1)
def _interpolation_phases() -> tuple[np.ndarray, ...]:
    """The 4x interpolator of BS.1770-4 Annex 2's kind: a windowed sinc of 12 taps per phase, split by phase.

    h[n] = sinc((n - c) / 4) under a Kaiser window, c = 24; phase p holds h[4q + p], so convolving the
    samples with it gives the signal p/4 of a sample after each one (delayed by c/4 = 6 samples).
    """
    taps = 12 * OVERSAMPLE + 1
    n = np.arange(taps) - taps // 2
    h = np.sinc(n / OVERSAMPLE) * np.kaiser(taps, 8.0)
    return tuple(h[p::OVERSAMPLE] for p in range(1, OVERSAMPLE))


def oversampled_peaks(samples: np.ndarray) -> np.ndarray:
    """Per sample, the largest magnitude at it and the OVERSAMPLE - 1 points after it (the true-peak envelope).

    Polyphase filtering (np.convolve, 12 taps a phase) rather than an FFT: a few milliseconds a clip.
    """
    x = np.asarray(samples, dtype=np.float64)
    peaks = np.abs(x)
    delay = 12 * OVERSAMPLE // 2 // OVERSAMPLE
    for phase in _interpolation_phases():
        peaks = np.maximum(peaks, np.abs(np.convolve(x, phase)[delay:delay + len(x)]))
    return peaks


def true_peak(samples: np.ndarray) -> float:
    """True peak in dBTP (4x oversampled, band-limited); -inf for silence."""
    peaks = oversampled_peaks(samples)
    top = float(peaks.max()) if len(peaks) else 0.0
    return 20 * math.log10(top) if top > 0 else float("-inf")
