"""The published segment index: which segment plays which cues, one JSON object per locale beside the audio in S3.

`bandcoach audio publish` renders every segment of the warmed routines, uploads them, and then
writes `audio/index/<locale>.json`, mapping cue fingerprints (skill.segments.fingerprint) to
segment keys and lengths. A deployed function that has no local cache (Lambda) reads it with
S3SegmentIndex: one GET per locale when first needed, then a conditional GET (ETag) at most
every REFRESH_SECONDS, so a re-publish reaches running containers within minutes at the cost
of a tiny 304 now and then. boto3 loads only when the index is first read.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .segments import SegmentRef, fingerprint
from .timeline import Cue

if TYPE_CHECKING:
    from .config import Settings

logger = logging.getLogger(__name__)

FORMAT = 1  # bump when the index's shape changes; a reader ignores an index of another format
PREFIX = "audio/"  # the public audio prefix: the bucket's (serverless.yml) and the web service's URL path
AUDIO_CACHE_CONTROL = "public, max-age=31536000, immutable"  # a key names its bytes forever (bucket and /audio/)
REFRESH_SECONDS = 300.0  # how stale a container's copy may get after a re-publish
CONTENT_TYPE = "application/json"
CACHE_CONTROL = "no-cache"  # unlike the audio, the index changes in place


def index_key(locale: str, prefix: str = PREFIX) -> str:
    """The object name of a locale's index: `audio/index/<locale>.json`."""
    return f"{prefix}index/{locale}.json"


@dataclass(frozen=True, slots=True)
class SegmentIndex:
    """One locale's published segments: cue fingerprint -> (segment key, seconds), and what made them."""

    locale: str
    engine: Mapping[str, str]  # the engine identity of the clips (engine, version, voice, rate)
    segments: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    timelines: tuple[str, ...] = ()  # "routine/variant/band/+extra" covered, for operators reading it

    def get(self, cues: Sequence[Cue]) -> SegmentRef | None:
        """The segment for exactly these cues, if published."""
        found = self.segments.get(fingerprint(cues, self.locale))
        return SegmentRef(*found) if found else None

    def to_json(self) -> bytes:
        """Compact, deterministic JSON: publishing the same cache twice writes the same bytes (and ETag)."""
        data = {"format": FORMAT, "locale": self.locale, "engine": dict(self.engine),
                "timelines": sorted(self.timelines),
                "segments": {fp: [key, round(seconds, 3)] for fp, (key, seconds) in sorted(self.segments.items())}}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> SegmentIndex:
        """Parse an index; ValueError when it is not one of ours in this format."""
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            segments = {str(fp): (str(key), float(seconds)) for fp, (key, seconds) in data["segments"].items()}
            return cls(str(data["locale"]), dict(data["engine"]), segments, tuple(data.get("timelines", ())))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a segment index: {exc}") from exc


def s3_client(endpoint_url: str | None, region: str, *, timeout: float | None = None, pool: int = 10,
              attempts: int = 5) -> Any:
    """A boto3 S3 client; path-style addressing with an endpoint (a local stand-in has no bucket subdomains)."""
    import boto3  # ~100 ms: only when S3 is first used
    from botocore.config import Config

    timeouts = {"connect_timeout": timeout, "read_timeout": timeout} if timeout else {}
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region,
        config=Config(s3={"addressing_style": "path"} if endpoint_url else {}, max_pool_connections=pool,
                      retries={"mode": "standard", "max_attempts": attempts}, **timeouts))


@dataclass(slots=True)
class _Copy:
    index: SegmentIndex | None
    etag: str | None
    checked: float


class S3SegmentIndex:
    """A SegmentSource that answers from the index published in the bucket; never renders, never lists.

    Each locale's index is fetched on first use and checked again (If-None-Match) at most every
    `refresh_seconds`. A failed check keeps the copy already held: stale audio links still play,
    and segments are immutable, so an old index never names a file that is gone.
    """

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                 client: Any = None, prefix: str = PREFIX, refresh_seconds: float = REFRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.refresh_seconds = refresh_seconds
        self._endpoint_url, self._region = endpoint_url, region
        self._client = client
        self._clock = clock
        self._copies: dict[str, _Copy] = {}
        self._locks: dict[str, threading.Lock] = {}  # one per locale: a fetch blocks only its own locale
        self._locks_guard = threading.Lock()  # held only to create a locale's lock, never across a fetch

    @classmethod
    def from_settings(cls, settings: Settings) -> S3SegmentIndex:
        """The index in BANDCOACH_S3_BUCKET, on BANDCOACH_AWS_ENDPOINT_URL / BANDCOACH_AWS_REGION."""
        assert settings.s3_bucket, "Settings.validated() requires a bucket with audio_store=s3"
        return cls(settings.s3_bucket, endpoint_url=settings.aws_endpoint_url, region=settings.aws_region)

    def find(self, cues: Sequence[Cue], *, routine: str, locale: str, index: int = 0,
             title: str = "") -> SegmentRef | None:
        loaded = self.index(locale)
        return loaded.get(cues) if loaded is not None else None

    def index(self, locale: str) -> SegmentIndex | None:
        """This locale's index as last fetched, checked again when older than `refresh_seconds`.

        Only one thread fetches a locale at a time, and no lock is held across locales. While one
        thread re-checks, the others answer from the copy held (stale by seconds at most) rather
        than queueing behind a network call inside their own Alexa request; only the very first
        load of a locale waits for it.
        """
        copy = self._copies.get(locale)
        if copy is not None and self._clock() - copy.checked < self.refresh_seconds:
            return copy.index
        lock = self._lock_for(locale)
        if not lock.acquire(blocking=copy is None):
            return copy.index if copy is not None else None  # another thread is refreshing it
        try:
            copy = self._copies.get(locale)
            if copy is None or self._clock() - copy.checked >= self.refresh_seconds:
                copy = self._copies[locale] = self._fetch(locale, copy)
            return copy.index
        finally:
            lock.release()

    def _lock_for(self, locale: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(locale, threading.Lock())

    def _fetch(self, locale: str, held: _Copy | None) -> _Copy:
        """Get the index unless the held copy is current (304); keep the held copy on any failure."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = index_key(locale, self.prefix)
        now = self._clock()
        kw = {"IfNoneMatch": held.etag} if held is not None and held.etag else {}
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=key, **kw)
            raw = reply["Body"].read()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("304", "NotModified") and held is not None:
                return _Copy(held.index, held.etag, now)
            if code in ("NoSuchKey", "404"):
                logger.warning("no segment index at s3://%s/%s: run 'bandcoach audio publish' to render and index "
                               "the segments; until then hands-free coaches step by step", self.bucket, key)
                return _Copy(None, None, now)
            logger.error("cannot read s3://%s/%s (%s); keeping the index held", self.bucket, key, code or exc)
            return _Copy(held.index if held else None, held.etag if held else None, now)
        except BotoCoreError as exc:
            logger.error("cannot read s3://%s/%s (%s); keeping the index held", self.bucket, key, exc)
            return _Copy(held.index if held else None, held.etag if held else None, now)
        try:
            loaded = SegmentIndex.from_json(raw)
        except ValueError as exc:
            logger.error("s3://%s/%s is unreadable (%s): run 'bandcoach audio publish' again", self.bucket, key, exc)
            return _Copy(held.index if held else None, None, now)
        logger.info("segment index %s: %d segments from %s", key, len(loaded.segments), loaded.engine.get("engine"))
        return _Copy(loaded, reply.get("ETag"), now)

    @property
    def client(self) -> Any:
        if self._client is None:
            # Short timeouts and few retries: this runs inside an Alexa request, which waits about 8 s.
            self._client = s3_client(self._endpoint_url, self._region, timeout=2.0, attempts=2)
        return self._client
