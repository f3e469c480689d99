"""The coach's recorded voice in session mode: one <audio> clip when every cue is cached, text otherwise."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from support.alexa_checks import answered, check_ssml
from support.handsfree_support import BAND, LENGTH, LOCALE, ROUTINE

from audio import mp3
from skill import testing
from skill.handlers.voice import Voice
from skill.runtime import segment_source
from skill.web.app import create_app

PUBLIC = "https://coach.example.com"


@pytest.fixture
def voiced(settings, pm, warm_dir):
    return create_app(replace(settings, public_url=PUBLIC, audio_dir=warm_dir), pm=pm)


def start_envelope():
    return testing.intent_request("StartRoutineIntent", {"routine": (ROUTINE, ROUTINE), "band": BAND.value,
                                                        "length": LENGTH}, locale=LOCALE)


def audio_srcs(data):
    return re.findall(r'<audio src="([^"]+)"/>', data["response"]["outputSpeech"]["ssml"])


def test_a_cached_block_is_one_recorded_clip(voiced):
    data = answered(lambda env: voiced.test_client().post("/alexa", json=env), start_envelope())
    srcs = audio_srcs(data)
    assert len(srcs) == 1
    assert srcs[0].startswith(f"{PUBLIC}/audio/") and srcs[0].endswith(".mp3")
    check_ssml(data["response"]["outputSpeech"]["ssml"])
    assert "Say next when you're ready" in data["response"]["outputSpeech"]["ssml"]


def test_the_clip_is_served_in_alexas_profile_and_fits_the_limit(voiced, tmp_path):
    client = voiced.test_client()
    data = answered(lambda env: client.post("/alexa", json=env), start_envelope())
    path = audio_srcs(data)[0].removeprefix(PUBLIC)
    with client.get(path) as reply:
        assert reply.status_code == 200 and reply.mimetype == "audio/mpeg"
        (tmp_path / "clip.mp3").write_bytes(reply.data)
    info = mp3.info(tmp_path / "clip.mp3")
    assert (info.sample_rate, info.channels, info.bitrate) == (24_000, 1, 48_000)
    assert info.duration <= 240


def test_an_uncached_routine_falls_back_to_text(voiced):
    data = answered(lambda env: voiced.test_client().post("/alexa", json=env),
                    testing.intent_request("StartRoutineIntent", {"routine": "glutes"}))
    assert audio_srcs(data) == []
    assert "Exercise 1 of" in data["response"]["outputSpeech"]["ssml"]


def test_without_a_public_https_url_there_is_no_voice(settings):
    segments = segment_source(settings)
    assert Voice.for_settings(settings, segments) is None
    assert Voice.for_settings(replace(settings, public_url="http://192.0.2.1:5000"), segments) is None
    assert Voice.for_settings(replace(settings, public_url=PUBLIC), segments) is not None


def test_a_deployment_that_publishes_to_s3_reads_the_published_index(settings):
    from audio.s3 import S3SegmentIndex

    source = segment_source(replace(settings, audio_store="s3", s3_bucket="b"))
    assert isinstance(source, S3SegmentIndex)  # tests/test_segment_index.py plays it against S3
