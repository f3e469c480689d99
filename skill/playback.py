"""Hands-free playback tokens and segment URLs: pure functions, no requests, no audio.

Alexa hands the token of the stream back with every AudioPlayer event, and AudioPlayer requests
carry no session, so the token itself says what is playing: routine, variant, band, extra sets,
locale, segment index and when the workout began. It is compact, URL-safe text sealed with an
HMAC under a key derived from the skill's secret (`token_key`); `decode` returns None for anything
we did not make (garbage, another skill's token, a stale format, a forged or altered seal, a field
out of range), so a forged token is ignored rather than trusted or crashed on. The seal is what
keeps request-controlled values out of the catalog's memos: only tokens this skill minted reach them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass, replace

from skill.config import LOCALES
from skill.routines import BANDS_BY_VALUE, EXTRA_SETS_LIMIT, MAX_MINUTES, VARIANTS_BY_VALUE, Place, Variant

logger = logging.getLogger(__name__)

PREFIX = "bc2"  # the token format's version: a new format gets a new prefix and old tokens are ignored
MAX_TOKEN_CHARS = 160  # ours are about 60; Alexa allows 1024, anything longer is not ours
MAX_BLOCK = 999  # no routine has this many segments; a token's segment index is at most this
MAX_TOKEN_AGE = 7 * 24 * 3600  # seconds a workout's token stays valid (its resume offer lasts a day at most)
CLOCK_SKEW = 300  # seconds a token's start may lie ahead of this machine's clock (another instance minted it)
_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,5})$")  # a field's decimal digits: no sign, no leading zero, six at most
_STARTED = re.compile(r"^[0-9a-z]{1,8}$")  # base36 epoch seconds: eight digits reach the year 2059
_SEAL_BYTES = 12  # 96 bits of HMAC-SHA256: 16 URL-safe characters
_KEY_LABEL = b"bandcoach hands-free token v2"  # domain separation: the user-id hashing key is never used as is


@dataclass(frozen=True, slots=True)
class Stream:
    """What one AudioPlayer stream plays: a workout's place (its block is the segment) in a locale."""

    place: Place
    locale: str = "en-US"

    def at(self, block: int) -> Stream:
        """The same workout at another segment."""
        return replace(self, place=self.place.at(block))


def token_key(secret: bytes) -> bytes:
    """The key that seals tokens, derived from the skill's secret (BANDCOACH_SECRET or the generated one).

    Derived rather than reused, so a token's seal and a hashed user id never share a key; every instance
    with the same secret accepts the others' tokens.
    """
    if not secret:
        raise ValueError("a token key needs a non-empty secret")
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def _seal(body: str, key: bytes) -> str:
    """The token's last field: HMAC-SHA256 of the rest under `key`, cut to _SEAL_BYTES, base64url."""
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:_SEAL_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def encode(stream: Stream, key: bytes) -> str:
    """`bc2.<routine>.<length>.<band>.<extra>.<locale>.<index>.<started>.<seal>`: URL-safe, about 60 characters.

    `<length>` is the variant, or `m<minutes>` for a routine fitted to a length the runner asked for;
    `<started>` is base36 epoch seconds; `<seal>` is a truncated HMAC-SHA256 of the rest under `key`
    (`token_key`). Fields `decode` would refuse whatever the clock (out of range, unknown) raise ValueError.
    """
    place = stream.place
    if not _ID.fullmatch(place.routine) or stream.locale not in LOCALES:
        raise ValueError(f"cannot make a token for routine {place.routine!r} in {stream.locale!r}")
    if not (0 <= place.extra_sets <= EXTRA_SETS_LIMIT and 0 <= place.block <= MAX_BLOCK
            and 0 <= place.started < 36 ** 8 and 0 <= place.minutes <= MAX_MINUTES):
        raise ValueError(f"token fields out of range: {stream!r}")
    length = f"m{place.minutes}" if place.minutes else place.variant.value
    body = ".".join((PREFIX, place.routine, length, place.band.value, str(place.extra_sets),
                     stream.locale, str(place.block), _base36(place.started)))
    return f"{body}.{_seal(body, key)}"


def decode(token: object, key: bytes, *, now: float | None = None) -> Stream | None:
    """The stream a token sealed under `key` names, or None (logged) for anything else; never raises.

    The seal is checked first, in constant time, so nothing of a forged token is parsed. Then every
    field: a known routine id shape, locale, variant and band; extra sets, minutes and the segment index
    within their limits; and a start neither ahead of `now` (default: the clock) by more than CLOCK_SKEW
    nor older than MAX_TOKEN_AGE. Whether the routine is still offered and has that segment is the
    catalog's question (`Player.ours`).
    """
    if not isinstance(token, str) or not token.startswith(PREFIX + ".") or len(token) > MAX_TOKEN_CHARS:
        if token:
            logger.info("ignoring an AudioPlayer token that is not ours: %.40r", token)
        return None
    body, _, seal = token.rpartition(".")
    try:
        if not hmac.compare_digest(seal.encode(), _seal(body, key).encode()):
            raise ValueError("wrong seal (forged, altered, or sealed under another secret)")
        return _fields(body.split("."), time.time() if now is None else now)
    except (KeyError, ValueError) as exc:
        logger.warning("ignoring a malformed or forged AudioPlayer token %.60r: %s", token, exc)
        return None


def _fields(parts: list[str], now: float) -> Stream:
    """The stream a sealed token's fields name; ValueError or KeyError for a field out of shape or range.

    Sealed tokens are ours, so a failure here means a bug or a token outliving its window; checked all
    the same, so that no token can ever put an unchecked number into a Place.
    """
    if len(parts) != 8:
        raise ValueError("wrong shape")
    _, routine, length, band, extra, locale, index, started = parts
    if not _ID.fullmatch(routine) or locale not in LOCALES:
        raise ValueError("bad routine or locale")
    fitted = length[:1] == "m"
    numbers = (extra, index, length[1:]) if fitted else (extra, index)
    if not all(_NUMBER.fullmatch(n) for n in numbers) or not _STARTED.fullmatch(started):
        raise ValueError("bad number")
    minutes, extra_sets, block, since = int(length[1:]) if fitted else 0, int(extra), int(index), int(started, 36)
    if fitted and not 1 <= minutes <= MAX_MINUTES:
        raise ValueError("minutes out of range")
    if extra_sets > EXTRA_SETS_LIMIT or block > MAX_BLOCK:
        raise ValueError("extra sets or segment out of range")
    if not now - MAX_TOKEN_AGE <= since <= now + CLOCK_SKEW:
        raise ValueError("start time in the future or too long ago")
    variant = Variant.STANDARD if fitted else VARIANTS_BY_VALUE[length]
    return Stream(Place(routine, variant, BANDS_BY_VALUE[band], extra_sets, block, since, minutes), locale)


def https_base(public_url: str | None) -> str | None:
    """`public_url` without a trailing slash when it is HTTPS (any case), else None.

    Alexa fetches <audio> clips and AudioPlayer streams only over HTTPS, so an http:// base
    (fine for local testing of the web service) means text speech and step-by-step coaching.
    """
    if not public_url or not public_url.lower().startswith("https://"):
        return None
    return public_url.rstrip("/")


def segment_url(public_url: str | None, key: str) -> str | None:
    """The HTTPS URL of a segment under `public_url`, or None when there is no HTTPS public URL."""
    base = https_base(public_url)
    return audio_url(base, key) if base else None


def audio_url(base: str, key: str) -> str:
    """Where the web service (`/audio/`) or the bucket (`audio/` prefix) serves the MP3 named `key`."""
    return f"{base}/audio/{key}.mp3"
