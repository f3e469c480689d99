"""The offline engine: Debian's espeak-ng binary, run once per prompt, WAV on stdout."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

from skill import Speech, hookimpl
from skill.config import Settings

logger = logging.getLogger(__name__)

BINARY = "espeak-ng"
RATE_WPM = 160  # a calm coaching pace; espeak-ng's own default (175) sounds hurried for cues
VOICES = {"en-US": "en-us", "en-GB": "en-gb", "en-AU": "en-gb", "en-CA": "en-us", "en-IN": "en-gb"}
"""espeak-ng has no Australian or Indian English voice; British English is the nearest."""
TIMEOUT_SECONDS = 30.0


class EspeakEngine:
    """espeak-ng through its command line: no network, no model files, about 10 ms a cue."""

    name = "espeak"
    max_workers = 4  # each call is its own process, so threads only wait on it

    def __init__(self, binary: str | Path | None = None, *, rate_wpm: int = RATE_WPM) -> None:
        self.binary = str(binary) if binary else (shutil.which(BINARY) or f"/usr/bin/{BINARY}")
        self.rate = str(rate_wpm)
        self.unavailable_reason = ""
        self._version: str | None = None

    @property
    def version(self) -> str:
        """The espeak-ng release (e.g. 1.51), read once from `--version`; it is part of the cache key."""
        if self._version is None:
            out = self._run(["--version"]).decode("utf-8", "replace")
            match = re.search(r"(\d+(?:\.\d+)+)", out)
            self._version = match.group(1) if match else out.strip() or "unknown"
        return self._version

    def available(self) -> bool:
        """Whether the binary exists and answers `--version`."""
        if not Path(self.binary).is_file():
            self.unavailable_reason = f"{self.binary} not found (apt-get install espeak-ng)"
            return False
        try:
            _ = self.version
        except (OSError, subprocess.SubprocessError) as exc:
            self.unavailable_reason = f"{self.binary} does not run: {exc}"
            return False
        return True

    def voice(self, locale: str) -> str:
        return VOICES.get(locale, "en")

    def synthesize(self, text: str, locale: str) -> Speech:
        """Speak `text` as 22.05 kHz mono WAV; `--` keeps a text starting with '-' from being an option."""
        wav = self._run(["-v", self.voice(locale), "-s", self.rate, "--stdout", "--", text])
        if len(wav) <= 44:
            raise RuntimeError(f"espeak-ng produced no audio for {text!r}: check the voice {self.voice(locale)!r}")
        return Speech(wav, "wav")

    def _run(self, args: list[str]) -> bytes:
        done = subprocess.run(
            [self.binary, *args], capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"espeak-ng exited with {done.returncode}: {err}")
        return done.stdout


@hookimpl
def bandcoach_tts_engines(settings: Settings) -> list[EspeakEngine]:
    """Offer espeak-ng; it reports itself unavailable when the binary is missing."""
    return [EspeakEngine()]
