"""The audio in S3: publishing the cache (each MP3 under audio/<key>.mp3, uploaded once) and reading the index.

Keys are content addresses (the sha256 of everything that changes the bytes), so an object that
is already in the bucket is never uploaded again, and browsers and Alexa may cache it forever.
With BANDCOACH_PUBLIC_URL set to the bucket's HTTPS URL, the skill's audio URLs
(`<public url>/audio/<key>.mp3`) then point at these objects.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from skill.errors import BandCoachError, ConfigError
from skill.segments import (
    AUDIO_CACHE_CONTROL,
    INDEX_CACHE_CONTROL,
    INDEX_CONTENT_TYPE,
    PREFIX,
    SegmentIndex,
    SegmentRef,
    index_key,
)
from skill.timeline import Cue

if TYPE_CHECKING:
    from audio.cache import AudioCache, Entry
    from skill.config import Settings

logger = logging.getLogger(__name__)

CONTENT_TYPE = "audio/mpeg"
CACHE_CONTROL = AUDIO_CACHE_CONTROL  # the same header GET /audio/ sends
REFRESH_SECONDS = 300.0  # how stale a container's copy of the index may get after a re-publish
WORKERS = 8  # uploads in flight; each is one small PUT


class PublishError(BandCoachError):
    """The bucket cannot be listed or written; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class PublishReport:
    """What `bandcoach audio publish` did: new uploads, objects already there, and failures."""

    uploaded: int = 0
    present: int = 0
    size: int = 0  # bytes uploaded
    failures: list[tuple[str, str]] = field(default_factory=list)  # (cache key, why)
    keys: frozenset[str] = frozenset()  # cache keys the bucket holds after the upload (listed + uploaded)

    @property
    def failed(self) -> int:
        return len(self.failures)


class S3AudioStore:
    """One bucket (and prefix) that serves the cache's MP3s to Alexa over public HTTPS."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                 client: Any = None, prefix: str = PREFIX) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.client = client or s3_client(endpoint_url, region, pool=WORKERS)

    @classmethod
    def from_settings(cls, settings: Settings, *, bucket: str | None = None) -> S3AudioStore:
        """The store BANDCOACH_S3_BUCKET (or `bucket`) names, on BANDCOACH_AWS_ENDPOINT_URL / _REGION."""
        bucket = bucket or settings.s3_bucket
        if not bucket:
            raise ConfigError("no S3 bucket to publish to: set BANDCOACH_S3_BUCKET (the stack's AudioBucketName "
                              "output) or pass --bucket")
        return cls(bucket, endpoint_url=settings.aws_endpoint_url, region=settings.aws_region)

    def object_key(self, key: str) -> str:
        """The object name for a cache key: the path the skill's public URLs use."""
        return f"{self.prefix}{key}.mp3"

    def published(self) -> set[str]:
        """The cache keys already in the bucket (one paginated listing, not a request per object)."""
        found: set[str] = set()
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", ()):
                    name = item["Key"][len(self.prefix):]
                    if name.endswith(".mp3"):
                        found.add(name[:-4])
        except (ClientError, BotoCoreError) as exc:
            raise PublishError(f"cannot list s3://{self.bucket}/{self.prefix}: {_why(exc)}; check the bucket name "
                               "(BANDCOACH_S3_BUCKET), the AWS credentials and BANDCOACH_AWS_REGION") from exc
        return found

    def put_index(self, index: SegmentIndex) -> str:
        """Write a locale's segment index (after its segments are uploaded); returns its object name."""
        name = index_key(index.locale, self.prefix)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=index.to_json(),
                                   ContentType=INDEX_CONTENT_TYPE, CacheControl=INDEX_CACHE_CONTROL)
        except (ClientError, BotoCoreError) as exc:
            raise PublishError(f"cannot write s3://{self.bucket}/{name}: {_why(exc)}; the audio is uploaded, so "
                               "run 'bandcoach audio publish' again once the bucket accepts writes") from exc
        return name

    def upload(self, entry: Entry) -> int:
        """Upload one cached file after checking its bytes against the manifest; returns its size."""
        data = entry.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise ValueError("the cached file does not match its manifest checksum; run 'bandcoach audio warm' "
                             "to regenerate it")
        self.client.put_object(Bucket=self.bucket, Key=self.object_key(entry.key), Body=data,
                               ContentType=CONTENT_TYPE, CacheControl=CACHE_CONTROL)
        return len(data)

    def publish(self, cache: AudioCache, *, entries: Sequence[Entry] | None = None,
                progress: Callable[[int], None] | None = None) -> PublishReport:
        """Upload every cache entry (or every one of `entries`) the bucket lacks; one failure does not stop the rest.

        The bucket is listed once; the report's `keys` is what it holds afterwards, so an index
        can be checked against it without listing again.
        """
        there = self.published()
        entries = cache.entries() if entries is None else entries
        todo = [e for e in entries if e.key not in there]
        if progress and len(entries) > len(todo):
            progress(len(entries) - len(todo))
        uploaded, size, failures, sent_keys = 0, 0, [], set()

        def send(entry: Entry) -> tuple[Entry, int | None, str]:
            try:
                return entry, self.upload(entry), ""
            except (OSError, ValueError, ClientError, BotoCoreError) as exc:
                return entry, None, _why(exc)

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for entry, sent, why in pool.map(send, todo):
                if sent is None:
                    logger.warning("could not publish %s (%r): %s", entry.key, entry.text[:60], why)
                    failures.append((entry.key, why))
                else:
                    uploaded, size = uploaded + 1, size + sent
                    sent_keys.add(entry.key)
                if progress:
                    progress(1)
        return PublishReport(uploaded, len(entries) - len(todo), size, failures, frozenset(there | sent_keys))


def _why(exc: BaseException) -> str:
    """A one-line reason: AWS's error code and message, or the exception's own text."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc) or type(exc).__name__


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
