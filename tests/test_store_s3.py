"""Publishing the audio cache to S3, against moto's S3 server on 127.0.0.1 with real espeak-ng prompts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from support.dynamo_standin import moto_server, use_dummy_credentials
from support.serverless_config import public_read_statements

from audio.cache import AudioCache
from audio.engines.espeak import EspeakEngine
from audio.s3 import CACHE_CONTROL, PublishError, S3AudioStore
from skill.cli import cli
from skill.config import Settings
from skill.playback import audio_url
from skill.web import audio as audio_routes

TEXTS = ("Lateral band walk.", "Ten seconds left.")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the stand-in."""
    use_dummy_credentials(monkeypatch)
    name = f"audio-{uuid.uuid4().hex[:12]}"
    _client(endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def warmed(tmp_path_factory: pytest.TempPathFactory) -> AudioCache:
    """A prompt cache holding real espeak-ng prompts, as `bandcoach audio warm` leaves it."""
    cache = AudioCache(tmp_path_factory.mktemp("audio"))
    engine = EspeakEngine()
    for text in TEXTS:
        cache.ensure(engine, text, "en-US")
    return cache


def _client(endpoint: str):
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                          config=Config(s3={"addressing_style": "path"}))


def anonymous_get(url: str) -> urllib.request.addinfourl:
    """GET `url` as Alexa does: no credentials, and straight to the stand-in whatever the environment says.

    Its own opener rather than urlopen's process-wide one, which keeps the proxies the environment
    held when the first test of the run called urlopen: with http_proxy set then, this loopback
    request would reach a proxy instead of moto and fail (a 403) in a full run only.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(url, timeout=10)


def _store(endpoint: str, bucket: str) -> S3AudioStore:
    return S3AudioStore.from_settings(Settings(s3_bucket=bucket, aws_endpoint_url=endpoint))


def test_publish_uploads_every_cached_prompt_as_immutable_mp3(endpoint: str, bucket: str, warmed: AudioCache) -> None:
    report = _store(endpoint, bucket).publish(warmed)
    assert (report.uploaded, report.present, report.failed) == (len(TEXTS), 0, 0)
    for entry in warmed.entries():
        head = _client(endpoint).get_object(Bucket=bucket, Key=f"audio/{entry.key}.mp3")
        assert head["ContentType"] == "audio/mpeg"
        assert head["CacheControl"] == CACHE_CONTROL
        assert head["Body"].read() == entry.path.read_bytes()


def test_publish_again_uploads_nothing(endpoint: str, bucket: str, warmed: AudioCache) -> None:
    store = _store(endpoint, bucket)
    store.publish(warmed)
    report = store.publish(warmed)
    assert (report.uploaded, report.present, report.size) == (0, len(TEXTS), 0)


def test_the_report_names_what_the_bucket_holds_after_the_upload(endpoint: str, bucket: str,
                                                                  warmed: AudioCache) -> None:
    store = _store(endpoint, bucket)
    first = store.publish(warmed, entries=warmed.entries()[:1])
    assert first.keys == {warmed.entries()[0].key}
    assert store.publish(warmed).keys == {e.key for e in warmed.entries()} == store.published()


def test_published_prompts_are_public_at_the_urls_the_skill_builds(endpoint: str, bucket: str,
                                                                    warmed: AudioCache) -> None:
    client = _client(endpoint)
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": public_read_statements(bucket)}))  # serverless.yml's own policy
    client.put_object(Bucket=bucket, Key="private/notes.txt", Body=b"not for Alexa")
    _store(endpoint, bucket).publish(warmed)
    entry = warmed.entries()[0]
    with anonymous_get(audio_url(f"{endpoint}/{bucket}", entry.key)) as reply:  # path-style: the stand-in's bucket URL
        assert reply.headers["Content-Type"] == "audio/mpeg"
        assert reply.read() == entry.path.read_bytes()
    with pytest.raises(urllib.error.HTTPError, match="403"):
        anonymous_get(f"{endpoint}/{bucket}/private/notes.txt")


def test_a_corrupt_cached_file_is_reported_and_the_rest_published(endpoint: str, bucket: str, tmp_path: Path) -> None:
    cache = AudioCache(tmp_path / "audio")
    for text in TEXTS:
        cache.ensure(EspeakEngine(), text, "en-US")
    bad = cache.entries()[0]
    bad.path.write_bytes(b"not the bytes the manifest hashed")
    report = _store(endpoint, bucket).publish(cache)
    assert report.uploaded == len(TEXTS) - 1
    assert [key for key, _ in report.failures] == [bad.key]
    assert "bandcoach audio warm" in report.failures[0][1]


def test_a_missing_bucket_says_how_to_fix_it(endpoint: str, monkeypatch: pytest.MonkeyPatch,
                                             warmed: AudioCache) -> None:
    use_dummy_credentials(monkeypatch)
    with pytest.raises(PublishError, match=r"NoSuchBucket.*BANDCOACH_S3_BUCKET"):
        _store(endpoint, "no-such-bucket").publish(warmed)


def test_cache_control_matches_what_the_app_serves() -> None:
    assert CACHE_CONTROL == audio_routes.CACHE_CONTROL


def test_cli_publishes_the_configured_cache(endpoint: str, bucket: str, warmed: AudioCache, runner,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDCOACH_AUDIO_DIR", str(warmed.root))
    monkeypatch.setenv("BANDCOACH_S3_BUCKET", bucket)
    monkeypatch.setenv("BANDCOACH_AWS_ENDPOINT_URL", endpoint)
    result = runner.invoke(cli, ["audio", "publish"])
    assert result.exit_code == 0, result.output
    assert f"{len(TEXTS)} uploaded" in result.output and "0 failed" in result.output


def test_cli_without_a_bucket_names_the_setting(runner) -> None:
    result = runner.invoke(cli, ["audio", "publish"])
    assert result.exit_code != 0
    assert "BANDCOACH_S3_BUCKET" in result.output and "Traceback" not in result.output
