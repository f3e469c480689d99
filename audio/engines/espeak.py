"""The offline engine: Debian's espeak-ng binary, run once per prompt, WAV on stdout.

Loading this plugin costs nothing on a server's start: subprocess and shutil load when the binary is first asked.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from skill import Speech, hookimpl
from skill.config import Settings

logger = logging.getLogger(__name__)

BINARY = "espeak-ng"
RATE_WPM = 160  # a calm coaching pace; espeak-ng's own default (175) sounds hurried for cues
VOICES = {"en-US": "en-us", "en-GB": "en-gb", "en-AU": "en-gb", "en-CA": "en-us", "en-IN": "en-gb"}
"""espeak-ng has no Australian or Indian English voice; British English is the nearest."""
TIMEOUT_SECONDS = 30.0
VERSION_TIMEOUT_SECONDS = 5.0
UNKNOWN_VERSION = "unknown"
"""What `version` answers while the binary cannot be asked (missing, broken): never cached, never a cache key,
since choose_engine() refuses an engine whose `available()` is False."""


class EspeakEngine:
    """espeak-ng through its command line: no network, no model files, about 10 ms a cue.

    `binary` is a path, or a name looked up on PATH when used (default: espeak-ng on PATH, so a
    PATH without it means no espeak-ng). Nothing runs at construction, and reading `version`
    never raises: Python 3.11's isinstance() against the runtime-checkable TTSEngine protocol
    reads every member, `version` included, while the plugins' engines are collected.
    """

    name = "espeak"
    max_workers = 4  # each call is its own process, so threads only wait on it

    def __init__(self, binary: str | Path | None = None, *, rate_wpm: int = RATE_WPM) -> None:
        self.binary = str(binary) if binary else BINARY
        self.rate = str(rate_wpm)
        self.unavailable_reason = ""
        self._version: str | None = None

    @property
    def version(self) -> str:
        """The espeak-ng release (e.g. 1.51), read once from `--version`; it is part of the cache key.

        UNKNOWN_VERSION (not remembered) while the binary is missing or fails; `available()` says why.
        """
        if self._version is None:
            found = self._read_version()
            if found is None:
                return UNKNOWN_VERSION
            self._version = found
        return self._version

    def available(self) -> bool:
        """Whether the binary is found and answers `--version`; if not, `unavailable_reason` says how to fix it."""
        return self._version is not None or self._read_version() is not None

    def _read_version(self) -> str | None:
        """Ask the binary its release; None (with `unavailable_reason` set) when it is missing or fails."""
        import shutil
        import subprocess

        if shutil.which(self.binary) is None:
            where = "" if os.sep in self.binary else " on PATH"
            self.unavailable_reason = f"{self.binary} not found{where} (apt-get install espeak-ng)"
            return None
        try:
            out = self._run(["--version"], timeout=VERSION_TIMEOUT_SECONDS).decode("utf-8", "replace")
        except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
            self.unavailable_reason = f"{self.binary} does not run: {exc}"
            return None
        match = re.search(r"(\d+(?:\.\d+)+)", out)
        return match.group(1) if match else out.strip() or UNKNOWN_VERSION

    def voice(self, locale: str) -> str:
        return VOICES.get(locale, "en")

    def synthesize(self, text: str, locale: str) -> Speech:
        """Speak `text` as 22.05 kHz mono WAV; `--` keeps a text starting with '-' from being an option."""
        wav = self._run(["-v", self.voice(locale), "-s", self.rate, "--stdout", "--", text])
        if len(wav) <= 44:
            raise RuntimeError(f"espeak-ng produced no audio for {text!r}: check the voice {self.voice(locale)!r}")
        return Speech(wav, "wav")

    def _run(self, args: list[str], *, timeout: float = TIMEOUT_SECONDS) -> bytes:
        import subprocess

        done = subprocess.run([self.binary, *args], capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"espeak-ng exited with {done.returncode}: {err}")
        return done.stdout


@hookimpl
def bandcoach_tts_engines(settings: Settings) -> list[EspeakEngine]:
    """Offer espeak-ng; it reports itself unavailable when the binary is missing."""
    return [EspeakEngine()]
