"""The network engine: Google Translate's voice through gTTS, with accents, a timeout, retries and a cap."""

from __future__ import annotations

import importlib.util
import io
import logging
import threading
import time
from collections.abc import Callable

from audio.engines.retry import RETRY_STATUSES, Transient, call_with_retries
from skill import Speech, hookimpl
from skill.config import Settings

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://translate.google.{tld}"
INSTALL_HINT = "install the audio extra: pip install 'bandcoach[audio]'"
ACCENTS = {"en-US": "com", "en-GB": "co.uk", "en-AU": "com.au", "en-CA": "ca", "en-IN": "co.in"}
"""gTTS picks the accent through the Google domain it asks (gTTS docs, "Localized accents")."""


class GTTSEngine:
    """Google Translate's text-to-speech through gTTS: natural voices, needs the network.

    At most `max_workers` requests run at once (a semaphore), each with a timeout; a 429, a 5xx or
    a failed connection is retried with exponential backoff and jitter, honouring Retry-After
    (`audio.engines.retry`, shared with Polly).
    """

    name = "gtts"
    rate = "normal"  # gTTS offers normal or slow; coaching cues use normal

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_URL,
        timeout: float = 10.0,
        probe_timeout: float = 3.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_workers: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.probe_timeout = probe_timeout
        self.retries = retries
        self.backoff = backoff
        self.max_workers = max_workers
        self.unavailable_reason = ""
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(max_workers)
        self._probed: bool | None = None

    @property
    def version(self) -> str:
        """gTTS's release (part of the cache key); "unknown" rather than an error if gTTS cannot load,
        since Python 3.11's isinstance() against the TTSEngine protocol reads this property."""
        try:
            from audio.engines.gtts_client import VERSION
        except ImportError:
            return "unknown"
        return VERSION

    def voice(self, locale: str) -> str:
        """The accent domain, e.g. co.uk for en-GB; it is what makes the voices differ."""
        return ACCENTS.get(locale, "com")

    def available(self) -> bool:
        """One short real request, made once per engine object (so once per run), never per cue; refused without
        a request when gTTS (the audio extra) is not installed."""
        if self._probed is None and importlib.util.find_spec("gtts") is None:
            self.unavailable_reason = f"gTTS is not installed ({INSTALL_HINT})"
            self._probed = False
        if self._probed is None:
            from audio.engines.gtts_client import ERRORS

            try:
                self._request("OK", "en-US", timeout=self.probe_timeout, attempts=1)
                self._probed = True
            except ERRORS as exc:
                self.unavailable_reason = f"{self.base_url.format(tld='com')} failed the probe ({exc})"
                logger.info("gTTS unavailable: %s", self.unavailable_reason)
                self._probed = False
        return self._probed

    def synthesize(self, text: str, locale: str) -> Speech:
        """Speak `text` with the locale's accent as MP3 (24 kHz, 32 kbps, as Google sends it)."""
        return Speech(self._request(text, locale, timeout=self.timeout, attempts=self.retries + 1), "mp3")

    def _request(self, text: str, locale: str, *, timeout: float, attempts: int) -> bytes:
        from audio.engines.gtts_client import RoutedTTS, gTTSError

        tts = RoutedTTS(
            text, base_url=self.base_url, default_url=DEFAULT_URL, tld=self.voice(locale), lang=locale.split("-")[0],
            lang_check=False, timeout=timeout,
        )

        def once() -> bytes:
            buffer = io.BytesIO()
            tts.write_to_fp(buffer)
            return buffer.getvalue()

        def transient(exc: Exception) -> Transient | None:
            if not isinstance(exc, gTTSError):
                return None
            if exc.rsp is None:  # no answer at all (a failed connection): worth another try
                return Transient("unreachable")
            status = exc.rsp.status_code  # (a Response is falsy when its status is an error: compare with None)
            return Transient(str(status), exc.rsp.headers.get("Retry-After")) if status in RETRY_STATUSES else None

        audio = call_with_retries(once, attempts=attempts, backoff=self.backoff, slots=self._slots,
                                  transient=transient, sleep=self._sleep, service="gTTS")
        if not audio:
            raise gTTSError(f"gTTS returned no audio for {text!r}")
        return audio


@hookimpl
def bandcoach_tts_engines(settings: Settings) -> list[GTTSEngine]:
    """Offer gTTS, pointed at `BANDCOACH_GTTS_URL`; it reports itself unavailable when offline."""
    return [GTTSEngine(base_url=settings.gtts_url)]
