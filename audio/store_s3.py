"""Publish the audio cache to S3: each cached MP3 under audio/<key>.mp3, uploaded once, cached forever.

Keys are content addresses (the sha256 of everything that changes the bytes), so an object that
is already in the bucket is never uploaded again, and browsers and Alexa may cache it forever.
With BANDCOACH_PUBLIC_URL set to the bucket's HTTPS URL, the skill's audio URLs
(`<public url>/audio/<key>.mp3`) then point at these objects.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from skill import segment_index
from skill.errors import BandCoachError, ConfigError

if TYPE_CHECKING:
    from skill.config import Settings
    from skill.segment_index import SegmentIndex

    from .cache import AudioCache, Entry

logger = logging.getLogger(__name__)

PREFIX = segment_index.PREFIX  # the public prefix in serverless.yml's bucket policy; the URL path the skill builds
CONTENT_TYPE = "audio/mpeg"
CACHE_CONTROL = segment_index.AUDIO_CACHE_CONTROL  # the same header GET /audio/ sends
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
        self.client = client or segment_index.s3_client(endpoint_url, region, pool=WORKERS)

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
        name = segment_index.index_key(index.locale, self.prefix)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=index.to_json(),
                                   ContentType=segment_index.CONTENT_TYPE, CacheControl=segment_index.CACHE_CONTROL)
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
