"""Hands-free tokens and segment URLs: round trips, and garbage, forged or out-of-range tokens ignored, never raised."""

from __future__ import annotations

import re

import pytest

from skill import playback
from skill.playback import Stream
from skill.routines import EXTRA_SETS_LIMIT, MAX_MINUTES, BandLevel, Place, Variant

KEY = playback.token_key(b"the skill's secret")
STARTED = 1_764_300_000
NOW = STARTED + 600  # ten minutes into the workout
STREAM = Stream(Place("glutes", Variant.LONG, BandLevel.HEAVY, extra_sets=2, block=4, started=STARTED), "en-GB")


def decode(token: object, *, now: float = NOW) -> Stream | None:
    return playback.decode(token, KEY, now=now)


def sealed(parts: list[str], key: bytes = KEY) -> str:
    """A token of `parts` (every field but the seal) sealed under `key`: well formed, whatever it says."""
    body = ".".join(parts)
    return f"{body}.{playback._seal(body, key)}"


def test_token_round_trips_every_field() -> None:
    assert decode(playback.encode(STREAM, KEY)) == STREAM


def test_token_is_compact_and_url_safe() -> None:
    token = playback.encode(STREAM, KEY)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", token) and len(token) < 80


@pytest.mark.parametrize("variant", list(Variant))
@pytest.mark.parametrize("band", list(BandLevel))
def test_every_variant_and_band_survives_the_round_trip(variant: Variant, band: BandLevel) -> None:
    stream = Stream(Place("desk", variant, band, started=STARTED))
    assert decode(playback.encode(stream, KEY)) == stream


def test_a_fitted_length_survives_the_round_trip() -> None:
    stream = Stream(Place("desk", Variant.STANDARD, BandLevel.LIGHT, started=STARTED, minutes=MAX_MINUTES))
    assert decode(playback.encode(stream, KEY)) == stream


def test_at_changes_only_the_segment() -> None:
    assert STREAM.at(0) == Stream(Place("glutes", Variant.LONG, BandLevel.HEAVY, 2, 0, STARTED), "en-GB")


@pytest.mark.parametrize("garbage", [
    None, "", 42, {"token": "x"}, "hello", "bc2.", "bc2..........", "x" * 5000,
    "bc2.glutes.short.medium.0.en-US.0.0.zzzzzz",
    "another-skill-token-123", "bc2.GLUTES.short.medium.0.en-US.0.0.abcdef", "\u0000\u00ff",
])
def test_garbage_tokens_decode_to_none(garbage: object) -> None:
    assert decode(garbage) is None


def test_a_token_of_the_old_unkeyed_format_is_ignored() -> None:
    assert decode("bc1.desk.short.light.0.en-US.0.0.ffffff") is None


def test_a_tampered_field_fails_the_seal(caplog: pytest.LogCaptureFixture) -> None:
    token = playback.encode(STREAM, KEY).replace(".4.", ".3.")
    assert decode(token) is None
    assert "forged" in caplog.text


def test_a_token_sealed_under_another_secret_is_refused() -> None:
    """The seal is keyed: knowing the format (it is in this repository) is not enough to mint a token."""
    other = playback.token_key(b"someone else's secret")
    assert playback.decode(playback.encode(STREAM, other), KEY, now=NOW) is None


def test_the_token_key_is_derived_from_the_secret_not_the_secret_itself() -> None:
    assert playback.token_key(b"the skill's secret") == KEY != b"the skill's secret"
    assert len(KEY) == 32 and playback.token_key(b"the skill's secret!") != KEY


@pytest.mark.parametrize("field, value", [("variant", "x"), ("band", "q"), ("locale", "de-DE"), ("index", "-1")])
def test_a_well_formed_token_with_a_bad_field_is_ignored(field: str, value: str) -> None:
    parts = playback.encode(STREAM, KEY).split(".")[:-1]
    parts[{"variant": 2, "band": 3, "locale": 5, "index": 6}[field]] = value
    assert decode(sealed(parts)) is None


@pytest.mark.parametrize("index, value", [
    (4, str(EXTRA_SETS_LIMIT + 1)), (4, "9" * 30), (4, "01"), (6, str(playback.MAX_BLOCK + 1)), (6, "1e3"),
    (2, f"m{MAX_MINUTES + 1}"), (2, "m0"), (2, "m-5"), (2, "m"), (7, "-1"), (7, "zzzzzzzzz"),
], ids=["extra-over-limit", "extra-huge", "extra-leading-zero", "block-over-limit", "block-exponent",
        "minutes-over-limit", "minutes-zero", "minutes-negative", "minutes-empty", "started-negative",
        "started-too-long"])
def test_a_correctly_sealed_token_with_a_number_out_of_range_is_ignored(index: int, value: str) -> None:
    """Even a token with a valid seal puts no unchecked number into a Place (a key leak, a bug)."""
    parts = playback.encode(STREAM, KEY).split(".")[:-1]
    parts[index] = value
    assert decode(sealed(parts)) is None


def test_a_token_started_in_the_future_is_ignored() -> None:
    assert decode(playback.encode(STREAM, KEY), now=STARTED - playback.CLOCK_SKEW - 1) is None
    assert decode(playback.encode(STREAM, KEY), now=STARTED - playback.CLOCK_SKEW) == STREAM  # clocks differ a bit


def test_a_token_older_than_its_window_is_ignored() -> None:
    assert decode(playback.encode(STREAM, KEY), now=STARTED + playback.MAX_TOKEN_AGE + 1) is None
    assert decode(playback.encode(STREAM, KEY), now=STARTED + playback.MAX_TOKEN_AGE) == STREAM


def test_encode_refuses_what_it_could_not_decode() -> None:
    with pytest.raises(ValueError, match="routine"):
        playback.encode(Stream(Place("bad.id", Variant.SHORT, BandLevel.LIGHT)), KEY)
    with pytest.raises(ValueError, match="out of range"):
        playback.encode(Stream(Place("desk", Variant.SHORT, BandLevel.LIGHT, extra_sets=EXTRA_SETS_LIMIT + 1)), KEY)


def test_segment_urls_need_https() -> None:
    key = "a" * 64
    assert playback.segment_url("https://coach.example.org/skill/", key) == f"https://coach.example.org/skill/audio/{key}.mp3"
    assert playback.segment_url("http://192.168.1.5:5000", key) is None
    assert playback.segment_url(None, key) is None


def test_an_https_base_is_recognised_in_any_case():
    assert playback.https_base("HTTPS://Coach.example.com/") == "HTTPS://Coach.example.com"
    assert playback.https_base("http://192.0.2.1:5000") is None
    assert playback.https_base(None) is None
