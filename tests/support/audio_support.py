"""Helpers for the audio tests: a real espeak engine that counts its syntheses, WAV writing, a warm process.

Run as a script (`python tests/support/audio_support.py AUDIO_DIR COUNTER TEXT...`) it warms TEXTs into
AUDIO_DIR with the counting engine: the cross-process test starts two of these at once.
"""

from __future__ import annotations

import io
import sys
import wave
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # run as a script from anywhere: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from audio.cache import AudioCache
from audio.engines import Speech
from audio.engines.espeak import EspeakEngine
from audio.warm import warm


class CountingEngine(EspeakEngine):
    """Real espeak-ng that appends each text it speaks to `counter` (one line per synthesis)."""

    def __init__(self, counter: Path, *, fail_on: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.counter = Path(counter)
        self.fail_on = fail_on

    def synthesize(self, text: str, locale: str) -> Speech:
        if text in self.fail_on:
            raise RuntimeError(f"refusing {text!r} on purpose")
        speech = super().synthesize(text, locale)
        with self.counter.open("a", encoding="utf-8") as out:  # O_APPEND: lines from processes never interleave
            out.write(text + "\n")
        return speech

    def syntheses(self) -> list[str]:
        return self.counter.read_text(encoding="utf-8").splitlines() if self.counter.exists() else []


def wav_bytes(samples: np.ndarray, rate: int = 22050) -> bytes:
    """Mono 16-bit WAV bytes of `samples`."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype=np.int16).tobytes())
    return buffer.getvalue()


def wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    """Samples and rate of mono 16-bit WAV bytes (espeak-ng's output)."""
    with wave.open(io.BytesIO(data)) as src:
        return np.frombuffer(src.readframes(src.getnframes()), dtype=np.int16), src.getframerate()


def main(argv: list[str]) -> int:
    audio_dir, counter, *texts = argv
    report = warm(AudioCache(audio_dir), CountingEngine(Path(counter)), texts, "en-US")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
