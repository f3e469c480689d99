"""Publish -> index -> Lambda: segments pre-rendered at publish time and played from S3 with no local cache.

Against moto's S3 in server mode on 127.0.0.1, with a desk-short cache warmed by real espeak-ng.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from support.alexa_checks import check_response, speech_of
from support.builtin_catalog import builtin_catalog
from support.dynamo_standin import DUMMY_CREDENTIALS, moto_server, use_dummy_credentials
from support.handsfree_support import BAND, LENGTH, LOCALE, ROUTINE, VARIANT, timeline_of, warm_timeline
from support.tokens import SECRET, decode

from audio.cache import AudioCache
from audio.publish import build_indexes, publish
from audio.s3 import S3AudioStore, S3SegmentIndex
from skill import (
    BandLevel,
    Change,
    Progression,
    Routine,
    SessionRecord,
    Settings,
    hookimpl,
    lambda_handler,
    prompts,
    testing,
)
from skill.catalog import Catalog
from skill.cli import cli
from skill.plugins import BandCoachPluginManager, make_plugin_manager
from skill.routines import EXTRA_SETS_LIMIT
from skill.runtime import Runtime, build_runtime
from skill.segments import SegmentIndex, block_cues, fingerprint, index_key, publishable_runs, session_cues
from skill.state import make_store
from skill.timeline import Timeline

PUBLIC = "https://bandcoach-audio.s3.eu-west-1.amazonaws.com"
ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("flask", "werkzeug", "numpy", "miniaudio", "lameenc")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return timeline_of()


@pytest.fixture(scope="module")
def warm_dir(tmp_path_factory: pytest.TempPathFactory, timeline: Timeline) -> Path:
    audio = tmp_path_factory.mktemp("warm")
    warm_timeline(audio, timeline).close()
    return audio


def _client(endpoint: str) -> Any:
    """The test's own view of the bucket, with the stand-in's credentials whatever the environment holds."""
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", config=Config(s3={"addressing_style": "path"}),
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def _new_bucket(endpoint: str) -> str:
    name = f"seg-{uuid.uuid4().hex[:12]}"
    _client(endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def published(endpoint: str, warm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A bucket holding what `bandcoach audio publish` uploads from the warmed cache (shared by the module)."""
    with pytest.MonkeyPatch.context() as mp:
        use_dummy_credentials(mp)
        bucket = _new_bucket(endpoint)
        audio = tmp_path_factory.mktemp("publisher")
        _copy(warm_dir, audio)
        publish(S3AudioStore(bucket, endpoint_url=endpoint), AudioCache(audio), builtin_catalog())
    return bucket


def _copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    use_dummy_credentials(monkeypatch)
    return monkeypatch


def _index(endpoint: str, bucket: str) -> tuple[SegmentIndex, dict[str, Any]]:
    reply = _client(endpoint).get_object(Bucket=bucket, Key=index_key(LOCALE))
    return SegmentIndex.from_json(reply["Body"].read()), reply


def _in_bucket(endpoint: str, bucket: str, key: str) -> bool:
    found = _client(endpoint).list_objects_v2(Bucket=bucket, Prefix=f"audio/{key}.mp3")
    return found.get("KeyCount", 0) == 1


def lambda_runtime(aws: pytest.MonkeyPatch, endpoint: str, bucket: str, tmp_path: Path, *,
                   pm: BandCoachPluginManager | None = None) -> Runtime:
    """The Lambda's runtime as serverless.yml configures it: S3 audio, a public https URL, an empty audio dir.

    With `pm`, the same settings over that plugin manager (a test's own plugins) instead of the entry points.
    """
    for name, value in {"BANDCOACH_AUDIO_STORE": "s3", "BANDCOACH_S3_BUCKET": bucket,
                        "BANDCOACH_PUBLIC_URL": PUBLIC, "BANDCOACH_AWS_ENDPOINT_URL": endpoint,
                        "BANDCOACH_SKILL_ID": testing.DEFAULT_APP_ID, "BANDCOACH_TTS": "espeak",
                        "BANDCOACH_DATA_DIR": str(tmp_path / "data"), "BANDCOACH_CACHE_DIR": str(tmp_path / "cache"),
                        "BANDCOACH_AUDIO_DIR": str(tmp_path / "no-audio"), "BANDCOACH_SECRET": SECRET}.items():
        aws.setenv(name, value)
    if pm is not None:
        return build_runtime(lambda_handler.lambda_settings(Settings.from_env()), pm=pm)
    return lambda_handler.make_runtime()


def play_intent() -> dict[str, Any]:
    return testing.intent_request("PlayRoutineIntent", {"routine": (ROUTINE, ROUTINE), "length": LENGTH},
                                  new=True, locale=LOCALE)


def answer(runtime: Runtime, envelope: dict[str, Any]) -> dict[str, Any]:
    data = lambda_handler.answer(runtime, envelope)
    check_response(data)
    return data


def play_of(data: dict[str, Any]) -> dict[str, Any]:
    (directive,) = [d for d in data["response"].get("directives") or [] if d["type"] == "AudioPlayer.Play"]
    return directive["audioItem"]["stream"] | {"playBehavior": directive["playBehavior"]}


def key_of(url: str) -> str:
    assert url.startswith(f"{PUBLIC}/audio/") and url.endswith(".mp3"), url
    return url.removeprefix(f"{PUBLIC}/audio/").removesuffix(".mp3")


# --- publishing --------------------------------------------------------------------------------


def test_publish_indexes_every_block_and_session_answer_of_the_warmed_timeline(
        endpoint: str, published: str, timeline: Timeline) -> None:
    index, reply = _index(endpoint, published)
    assert reply["ContentType"] == "application/json" and reply["CacheControl"] == "no-cache"
    assert index.timelines == ("desk/short/light/+0",)  # the only timeline whose every cue is warmed
    assert index.engine["engine"] == "espeak"
    runs = [block_cues(timeline, i) for i in range(len(timeline.blocks))]
    runs += [session_cues(timeline, i) for i in range(len(timeline.blocks))]
    runs.append(session_cues(timeline, 0, with_intro=True))
    assert all(index.get(cues) is not None for cues in runs)
    assert len(index.segments) == len({fingerprint(cues, LOCALE) for cues in runs})
    for key, _ in index.segments.values():
        assert _in_bucket(endpoint, published, key)
    hands_free = [index.get(block_cues(timeline, i)) for i in range(len(timeline.blocks))]
    assert [ref.seconds for ref in hands_free] == [pytest.approx(b.seconds, abs=0.0121) for b in timeline.blocks]


def test_publishing_again_uploads_nothing_and_rewrites_the_same_index(
        endpoint: str, published: str, warm_dir: Path, aws: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before, first = _index(endpoint, published)
    _copy(warm_dir, tmp_path / "audio")
    outcome = publish(S3AudioStore(published, endpoint_url=endpoint), AudioCache(tmp_path / "audio"),
                      builtin_catalog())
    assert outcome.upload.uploaded == 0 and outcome.upload.failed == 0
    after, second = _index(endpoint, published)
    assert after == before and second["ETag"] == first["ETag"]


def test_a_segment_that_failed_to_upload_is_left_out_of_the_index(
        endpoint: str, warm_dir: Path, aws: pytest.MonkeyPatch, tmp_path: Path, timeline: Timeline) -> None:
    bucket = _new_bucket(endpoint)
    _copy(warm_dir, tmp_path / "audio")
    cache = AudioCache(tmp_path / "audio")
    ref = build_indexes(cache, builtin_catalog()).indexes[0].get(block_cues(timeline, 2))
    damaged = cache.get(ref.key).path
    damaged.write_bytes(bytes(len(damaged.read_bytes())))  # same size, other bytes: only the checksum tells
    outcome = publish(S3AudioStore(bucket, endpoint_url=endpoint), cache, builtin_catalog())
    assert [key for key, _ in outcome.upload.failures] == [ref.key] and outcome.unindexed == 1
    index, _ = _index(endpoint, bucket)
    assert index.get(block_cues(timeline, 2)) is None and index.get(block_cues(timeline, 1)) is not None


def test_cli_publish_renders_uploads_and_names_the_index(
        endpoint: str, warm_dir: Path, aws: pytest.MonkeyPatch, tmp_path: Path, runner: Any,
        timeline: Timeline) -> None:
    bucket = _new_bucket(endpoint)
    _copy(warm_dir, tmp_path / "audio")
    for name, value in {"BANDCOACH_AUDIO_DIR": str(tmp_path / "audio"), "BANDCOACH_S3_BUCKET": bucket,
                        "BANDCOACH_AWS_ENDPOINT_URL": endpoint}.items():
        aws.setenv(name, value)
    result = runner.invoke(cli, ["audio", "publish"])
    assert result.exit_code == 0, result.output
    # each hands-free block and each session answer of the warmed routine, once per distinct run of cues
    runs = len({fingerprint(cues, LOCALE) for _, cues in publishable_runs(timeline)})
    assert f"{runs} segment(s) rendered" in result.output
    assert f"index s3://{bucket}/audio/index/{LOCALE}.json: {runs} segment(s)" in result.output
    assert "skipped: desk/short/light/+1 en-US" in result.output  # extra sets were not warmed


# --- the Lambda, with no local cache ------------------------------------------------------------


def test_lambda_plays_hands_free_from_the_published_index(
        endpoint: str, published: str, aws: pytest.MonkeyPatch, tmp_path: Path, timeline: Timeline) -> None:
    runtime = lambda_runtime(aws, endpoint, published, tmp_path)
    started = answer(runtime, play_intent())
    assert "Hands-free" in speech_of(started)
    first = play_of(started)
    assert first["playBehavior"] == "REPLACE_ALL" and _in_bucket(endpoint, published, key_of(first["url"]))
    token = first["token"]
    for index in range(1, len(timeline.blocks)):
        nxt = play_of(answer(runtime, testing.audio_player_request("PlaybackNearlyFinished", token, 1000)))
        assert nxt["playBehavior"] == "ENQUEUE" and nxt["expectedPreviousToken"] == token
        assert decode(nxt["token"]).place.block == index
        assert _in_bucket(endpoint, published, key_of(nxt["url"]))
        token = nxt["token"]
    assert not (tmp_path / "no-audio").exists() or not any((tmp_path / "no-audio").iterdir())


def test_lambda_speaks_session_mode_in_the_recorded_voice(
        endpoint: str, published: str, aws: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runtime = lambda_runtime(aws, endpoint, published, tmp_path)
    started = answer(runtime, testing.intent_request("StartRoutineIntent", {"routine": (ROUTINE, ROUTINE),
                                                                            "length": LENGTH}, locale=LOCALE))
    ssml = started["response"]["outputSpeech"]["ssml"]
    (src,) = [part.split('"')[0] for part in ssml.split('<audio src="')[1:]]
    assert _in_bucket(endpoint, published, key_of(src))


class MostExtraSets:
    """A progression plugin that always asks for the most extra sets the plugin contract allows."""

    __name__ = "most-extra-sets"

    @hookimpl
    def bandcoach_progression(self, routine: Routine, history: Sequence[SessionRecord],
                              band: BandLevel | None) -> Progression:
        return Progression(band or routine.band, EXTRA_SETS_LIMIT, Change.ADD_SET, "As many sets as allowed.")


def test_a_plugin_suggesting_the_most_extra_sets_still_gets_published_hands_free_audio(
        endpoint: str, aws: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pm = make_plugin_manager(Settings.from_env())
    pm.register(MostExtraSets(), name=MostExtraSets.__name__)
    catalog = Catalog.build(pm)
    most = timeline_of(catalog, extra_sets=EXTRA_SETS_LIMIT)
    bucket = _new_bucket(endpoint)
    publish(S3AudioStore(bucket, endpoint_url=endpoint), warm_timeline(tmp_path / "audio", most), catalog)
    runtime = lambda_runtime(aws, endpoint, bucket, tmp_path, pm=pm)
    store = make_store(runtime.settings)
    store.record_workout(testing.DEFAULT_USER_ID, SessionRecord(ROUTINE, VARIANT, BAND, 0,
                                                                 datetime.now(UTC), 360, True))
    started = answer(runtime, play_intent())
    assert decode(play_of(started)["token"]).place.extra_sets == EXTRA_SETS_LIMIT


def test_lambda_without_a_published_index_coaches_step_by_step(
        endpoint: str, aws: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runtime = lambda_runtime(aws, endpoint, _new_bucket(endpoint), tmp_path)
    data = answer(runtime, play_intent())
    assert prompts.audio_unavailable() in speech_of(data) and "Exercise 1 of" in speech_of(data)
    assert not [d for d in data["response"].get("directives") or [] if d["type"] == "AudioPlayer.Play"]


def test_lambda_hands_free_loads_no_audio_pipeline(endpoint: str, published: str, tmp_path: Path) -> None:
    """A cold container answers PlayRoutineIntent and the next segment without numpy, codecs, Flask or audio.*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANDCOACH_", "AWS_"))}
    env.update(DUMMY_CREDENTIALS, AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               BANDCOACH_AUDIO_STORE="s3", BANDCOACH_S3_BUCKET=published, BANDCOACH_PUBLIC_URL=PUBLIC,
               BANDCOACH_AWS_ENDPOINT_URL=endpoint, BANDCOACH_LOAD_PLUGINS="bandcoach",
               BANDCOACH_SKILL_ID=testing.DEFAULT_APP_ID, BANDCOACH_DATA_DIR=str(tmp_path / "data"),
               BANDCOACH_CACHE_DIR=str(tmp_path / "cache"))
    code = ("import json, sys\n"
            "import skill.lambda_handler as h\n"
            "first = h.handler(json.loads(sys.argv[1]), None)\n"
            "token = [d for d in first['response']['directives'] if d['type'] == 'AudioPlayer.Play'][0]"
            "['audioItem']['stream']['token']\n"
            "from skill import testing\n"
            "nxt = h.handler(testing.audio_player_request('PlaybackNearlyFinished', token, 1000), None)\n"
            f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
            "or (m.startswith('audio') and not m.startswith('audio.engines') and m not in ('audio', 'audio.s3')))\n"
            "print(json.dumps(dict(heavy=heavy, first=first, nxt=nxt)))\n")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(play_intent())], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    out = json.loads(done.stdout)
    assert out["heavy"] == []
    assert [d["type"] for d in out["first"]["response"]["directives"]] == ["AudioPlayer.Play"]
    assert [d["playBehavior"] for d in out["nxt"]["response"]["directives"]] == ["ENQUEUE"]


# --- the index reader ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_index_is_read_once_then_checked_again_after_the_refresh_period(
        endpoint: str, published: str, aws: pytest.MonkeyPatch, timeline: Timeline) -> None:
    bucket, clock = _new_bucket(endpoint), Clock()
    source = S3SegmentIndex(bucket, endpoint_url=endpoint, refresh_seconds=300, clock=clock)
    cues = block_cues(timeline, 0)
    assert source.find(cues, routine=ROUTINE, locale=LOCALE) is None  # nothing published yet
    body = _client(endpoint).get_object(Bucket=published, Key=index_key(LOCALE))["Body"].read()
    _client(endpoint).put_object(Bucket=bucket, Key=index_key(LOCALE), Body=body)
    clock.now += 299
    assert source.find(cues, routine=ROUTINE, locale=LOCALE) is None  # within the period: the copy held
    clock.now += 1
    found = source.find(cues, routine=ROUTINE, locale=LOCALE)
    assert found is not None and found == SegmentIndex.from_json(body).get(cues)
    held = source.index(LOCALE)
    clock.now += 300  # unchanged: a conditional GET answers 304 and the very object held is kept
    assert source.find(cues, routine=ROUTINE, locale=LOCALE) == found
    assert source.index(LOCALE) is held


def test_an_unreadable_index_is_ignored_and_a_good_copy_kept(
        endpoint: str, published: str, aws: pytest.MonkeyPatch, timeline: Timeline) -> None:
    bucket, clock = _new_bucket(endpoint), Clock()
    body = _client(endpoint).get_object(Bucket=published, Key=index_key(LOCALE))["Body"].read()
    _client(endpoint).put_object(Bucket=bucket, Key=index_key(LOCALE), Body=body)
    source = S3SegmentIndex(bucket, endpoint_url=endpoint, clock=clock)
    cues = block_cues(timeline, 0)
    good = source.find(cues, routine=ROUTINE, locale=LOCALE)
    _client(endpoint).put_object(Bucket=bucket, Key=index_key(LOCALE), Body=b"{not json")
    clock.now += 10_000
    assert good is not None and source.find(cues, routine=ROUTINE, locale=LOCALE) == good
    fresh = S3SegmentIndex(bucket, endpoint_url=endpoint)
    assert fresh.find(cues, routine=ROUTINE, locale=LOCALE) is None


class SlowBucket:
    """S3 at the network edge: answers every index GET with `body`, holding those of one locale until released."""

    def __init__(self, body: bytes) -> None:
        self.body, self.slow = body, ""
        self.entered, self.release = threading.Event(), threading.Event()

    def get_object(self, Bucket: str, Key: str, **kw: Any) -> dict[str, Any]:  # noqa: N803 - boto3's names
        if self.slow and Key == index_key(self.slow):
            self.entered.set()
            self.release.wait(10)
        return {"Body": io.BytesIO(self.body), "ETag": '"one"'}


def test_a_refresh_in_flight_blocks_neither_stale_readers_nor_other_locales() -> None:
    bucket, clock = SlowBucket(SegmentIndex(LOCALE, {"engine": "espeak"}, {"fp": ("a" * 64, 1.0)}).to_json()), Clock()
    source = S3SegmentIndex("bucket", client=bucket, clock=clock)
    held = source.index(LOCALE)
    clock.now += 10_000
    bucket.slow = LOCALE
    refresher = threading.Thread(target=source.index, args=(LOCALE,))
    refresher.start()
    try:
        assert bucket.entered.wait(10)
        assert held is not None and source.index(LOCALE) is held  # the copy held, without waiting
        assert source.index("en-GB") is not None  # another locale is fetched meanwhile
    finally:
        bucket.release.set()
        refresher.join(10)


def test_an_index_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format 99"):
        SegmentIndex.from_json(json.dumps({"format": 99}).encode())


# --- fingerprints and runs of cues ---------------------------------------------------------------


def test_fingerprints_follow_the_words_and_timing_not_the_routine_name(timeline: Timeline) -> None:
    cues = block_cues(timeline, 1)
    assert fingerprint(cues, LOCALE) == fingerprint(list(cues), LOCALE)
    reworded = [cues[0].__class__(cues[0].kind, cues[0].seconds, cues[0].params, cues[0].text + " Now."), *cues[1:]]
    retimed = [cues[0].__class__(cues[0].kind, cues[0].seconds + 1, cues[0].params, cues[0].text), *cues[1:]]
    assert len({fingerprint(c, LOCALE) for c in (cues, reworded, retimed)}) == 3
    assert fingerprint(cues, LOCALE) != fingerprint(cues, "en-GB")


def test_session_answers_skip_the_intro_unless_asked_and_end_with_the_outro(timeline: Timeline) -> None:
    assert session_cues(timeline, 0, with_intro=True)[0].kind == "intro"
    assert "intro" not in [c.kind for c in session_cues(timeline, 0)]
    last = timeline.blocks[-1]
    assert last.rest and session_cues(timeline, last.index)[-len(last.rest):] == list(last.rest)
