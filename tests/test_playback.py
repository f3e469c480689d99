"""Hands-free tokens and segment URLs: round trips, and garbage or forged tokens ignored, never raised."""

from __future__ import annotations

import re

import pytest

from skill import playback
from skill.playback import Stream
from skill.routines import BandLevel, Place, Variant

STREAM = Stream(Place("glutes", Variant.LONG, BandLevel.HEAVY, extra_sets=2, block=4, started=1_764_300_000), "en-GB")


def test_token_round_trips_every_field() -> None:
    assert playback.decode(playback.encode(STREAM)) == STREAM


def test_token_is_compact_and_url_safe() -> None:
    token = playback.encode(STREAM)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", token) and len(token) < 80


@pytest.mark.parametrize("variant", list(Variant))
@pytest.mark.parametrize("band", list(BandLevel))
def test_every_variant_and_band_survives_the_round_trip(variant: Variant, band: BandLevel) -> None:
    stream = Stream(Place("desk", variant, band))
    assert playback.decode(playback.encode(stream)) == stream


def test_at_changes_only_the_segment() -> None:
    assert STREAM.at(0) == Stream(Place("glutes", Variant.LONG, BandLevel.HEAVY, 2, 0, 1_764_300_000), "en-GB")


@pytest.mark.parametrize("garbage", [
    None, "", 42, {"token": "x"}, "hello", "bc1.", "bc1..........", "x" * 5000,
    "bc1.glutes.short.medium.0.en-US.0.0.zzzzzz",
    "another-skill-token-123", "bc1.GLUTES.short.medium.0.en-US.0.0.abcdef", "\u0000\u00ff",
])
def test_garbage_tokens_decode_to_none(garbage: object) -> None:
    assert playback.decode(garbage) is None


def test_a_tampered_field_fails_the_checksum(caplog: pytest.LogCaptureFixture) -> None:
    token = playback.encode(STREAM).replace(".4.", ".3.")
    assert playback.decode(token) is None
    assert "forged" in caplog.text


@pytest.mark.parametrize("field, value", [("variant", "x"), ("band", "q"), ("locale", "de-DE"), ("index", "-1")])
def test_a_well_formed_token_with_a_bad_field_is_ignored(field: str, value: str) -> None:
    parts = playback.encode(STREAM).split(".")[:-1]
    parts[{"variant": 2, "band": 3, "locale": 5, "index": 6}[field]] = value
    body = ".".join(parts)
    assert playback.decode(f"{body}.{playback._checksum(body)}") is None


def test_encode_refuses_what_it_could_not_decode() -> None:
    with pytest.raises(ValueError, match="routine"):
        playback.encode(Stream(Place("bad.id", Variant.SHORT, BandLevel.LIGHT)))


def test_segment_urls_need_https() -> None:
    key = "a" * 64
    assert playback.segment_url("https://coach.example.org/skill/", key) == f"https://coach.example.org/skill/audio/{key}.mp3"
    assert playback.segment_url("http://192.168.1.5:5000", key) is None
    assert playback.segment_url(None, key) is None


def test_an_https_base_is_recognised_in_any_case():
    assert playback.https_base("HTTPS://Coach.example.com/") == "HTTPS://Coach.example.com"
    assert playback.https_base("http://192.0.2.1:5000") is None
    assert playback.https_base(None) is None
