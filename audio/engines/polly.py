"""The cloud engine: Amazon Polly's neural voices through boto3 (the `aws` extra), one accent per English locale.

Used only when configured (BANDCOACH_POLLY=1, plus AWS credentials boto3 can find): Polly is billed
per character, so no machine starts paying for speech because it happens to hold AWS keys.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from audio.engines import pcm_wav
from audio.engines.retry import RETRY_STATUSES, Transient, call_with_retries
from skill import Speech, hookimpl
from skill.config import Settings

if TYPE_CHECKING:
    from botocore.client import BaseClient

logger = logging.getLogger(__name__)

VOICES = {
    "en-US": ("Joanna", "en-US"),
    "en-GB": ("Amy", "en-GB"),
    "en-AU": ("Olivia", "en-AU"),
    "en-IN": ("Kajal", "en-IN"),
    "en-CA": ("Joanna", "en-US"),
}
"""Locale -> (neural voice, the language code Polly speaks it in). Polly has no Canadian English voice
(its language codes stop at en-US, en-GB, en-AU, en-IN, en-NZ, en-ZA, en-IE, en-GB-WLS): en-CA gets
US English, the nearest accent. Kajal is bilingual (en-IN, hi-IN), so the language code is always sent."""
NEURAL = "neural"
SAMPLE_RATES = {"mp3": "24000", "pcm": "16000"}
"""mp3 at 24 kHz is our profile's rate (no resampling); pcm is raw 16-bit mono, at most 16 kHz from Polly."""
TRANSIENT_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceFailureException",
                             "RequestLimitExceeded", "ServiceUnavailable"})
CONFIGURE_HINT = "set BANDCOACH_POLLY=1 with AWS credentials to use Amazon Polly"
INSTALL_HINT = "install the aws extra: pip install 'bandcoach[aws]'"


class PollyEngine:
    """Amazon Polly, neural voices: plain text in (no SSML), MP3 (or PCM) out, converted to our profile by the cache.

    At most `max_workers` requests run at once; throttling, a 5xx or a failed connection is retried
    with the same backoff as gTTS (`audio.engines.retry`), and botocore's own retries are off so
    there is one policy. `available()` is one DescribeVoices request, made once per engine object.
    """

    name = "polly"
    rate = "default"  # plain text: Polly's own pace; a rate would need SSML prosody

    def __init__(
        self,
        *,
        enabled: bool = True,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        output_format: str = "mp3",
        timeout: float = 10.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_workers: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if output_format not in SAMPLE_RATES:
            raise ValueError(f"Polly output {output_format!r}: use mp3 or pcm")
        self.enabled = enabled
        self.region = region
        self.endpoint_url = endpoint_url
        self.output_format = output_format
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_workers = max_workers
        self.unavailable_reason = ""
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(max_workers)
        self._client_lock = threading.Lock()
        self._client: BaseClient | None = None
        self._probed: bool | None = None

    @property
    def version(self) -> str:
        """The voice engine and the format asked for ("neural mp3"): the service itself has no release to name."""
        return f"{NEURAL} {self.output_format}"

    def voice(self, locale: str) -> str:
        """The neural voice with the locale's accent, e.g. Amy for en-GB."""
        return VOICES.get(locale, VOICES["en-US"])[0]

    def available(self) -> bool:
        """Configured, boto3 installed, credentials found, and one DescribeVoices answered (asked once)."""
        if self._probed is not None:
            return self._probed
        self._probed = False
        if not self.enabled:
            self.unavailable_reason = f"not configured ({CONFIGURE_HINT})"
        elif importlib.util.find_spec("boto3") is None:
            self.unavailable_reason = f"boto3 is not installed ({INSTALL_HINT})"
        else:
            self._probed = self._probe()
        return self._probed

    def _probe(self) -> bool:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        if boto3.Session(region_name=self.region).get_credentials() is None:
            self.unavailable_reason = ("no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                       "or AWS_PROFILE)")
            return False
        try:
            answer = self.client().describe_voices(Engine=NEURAL, LanguageCode="en-US")
        except (BotoCoreError, ClientError) as exc:
            self.unavailable_reason = f"Polly in {self.region} failed the probe ({exc})"
            logger.info("Polly unavailable: %s", self.unavailable_reason)
            return False
        if not answer.get("Voices"):
            self.unavailable_reason = f"Polly in {self.region} offers no neural English voice"
            return False
        return True

    def client(self) -> BaseClient:
        """The boto3 Polly client, made once (clients are thread-safe), with botocore's retries off."""
        with self._client_lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                config = Config(connect_timeout=self.timeout, read_timeout=self.timeout,
                                retries={"total_max_attempts": 1}, max_pool_connections=self.max_workers)
                self._client = boto3.client("polly", region_name=self.region, endpoint_url=self.endpoint_url,
                                            config=config)
            return self._client

    def synthesize(self, text: str, locale: str) -> Speech:
        """Speak `text` with the locale's neural voice: MP3 at 24 kHz, or PCM (16 kHz) handed on as WAV."""
        voice, language = VOICES.get(locale, VOICES["en-US"])

        def once() -> bytes:
            answer: dict[str, Any] = self.client().synthesize_speech(
                Engine=NEURAL, VoiceId=voice, LanguageCode=language, Text=text, TextType="text",
                OutputFormat=self.output_format, SampleRate=SAMPLE_RATES[self.output_format],
            )
            with answer["AudioStream"] as stream:
                return bytes(stream.read())

        audio = call_with_retries(once, attempts=self.retries + 1, backoff=self.backoff, slots=self._slots,
                                  transient=transient, sleep=self._sleep, service="Polly")
        if not audio:
            raise RuntimeError(f"Polly returned no audio for {text!r} (voice {voice})")
        if self.output_format == "pcm":
            return Speech(pcm_wav(audio, int(SAMPLE_RATES["pcm"])), "wav")
        return Speech(audio, "mp3")


def transient(exc: Exception) -> Transient | None:
    """Throttling, a 5xx or no answer at all: worth another try. Anything else (a bad voice, bad text) is not."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ConnectionError | HTTPClientError):
        return Transient("unreachable")
    if not isinstance(exc, ClientError):
        return None
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = exc.response.get("Error", {}).get("Code", "")
    if status not in RETRY_STATUSES and code not in TRANSIENT_CODES:
        return None
    headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return Transient(f"{status} {code}".strip(), headers.get("retry-after"))


@hookimpl
def bandcoach_tts_engines(settings: Settings) -> list[PollyEngine]:
    """Offer Polly in BANDCOACH_AWS_REGION; it reports itself unavailable unless BANDCOACH_POLLY=1 and credentials."""
    return [PollyEngine(enabled=settings.polly, region=settings.aws_region)]
