"""Hands-free playback tokens and segment URLs: pure functions, no requests, no audio.

Alexa hands the token of the stream back with every AudioPlayer event, and AudioPlayer requests
carry no session, so the token itself says what is playing: routine, variant, band, extra sets,
locale, segment index and when the workout began. It is compact, URL-safe text with a checksum;
`decode` returns None for anything we did not make (garbage, another skill's token, a stale
format), so a forged token is ignored rather than trusted or crashed on.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace

from skill.config import LOCALES
from skill.routines import BANDS_BY_VALUE, EXTRA_SETS_LIMIT, MAX_MINUTES, VARIANTS_BY_VALUE, Place, Variant

logger = logging.getLogger(__name__)

PREFIX = "bc1"  # the token format's version: a new format gets a new prefix and old tokens are ignored
MAX_TOKEN_CHARS = 160  # ours are about 60; Alexa allows 1024, anything longer is not ours
_ID = re.compile(r"^[a-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Stream:
    """What one AudioPlayer stream plays: a workout's place (its block is the segment) in a locale."""

    place: Place
    locale: str = "en-US"

    def at(self, block: int) -> Stream:
        """The same workout at another segment."""
        return replace(self, place=self.place.at(block))


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:6]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def encode(stream: Stream) -> str:
    """`bc1.<routine>.<length>.<band>.<extra>.<locale>.<index>.<started>.<check>`: URL-safe, about 60 characters.

    `<length>` is the variant, or `m<minutes>` for a routine fitted to a length the runner asked for.
    """
    place = stream.place
    if not _ID.match(place.routine) or stream.locale not in LOCALES:
        raise ValueError(f"cannot make a token for routine {place.routine!r} in {stream.locale!r}")
    if not (0 <= place.extra_sets <= EXTRA_SETS_LIMIT and 0 <= place.block < 1000 and place.started >= 0
            and 0 <= place.minutes <= MAX_MINUTES):
        raise ValueError(f"token fields out of range: {stream!r}")
    length = f"m{place.minutes}" if place.minutes else place.variant.value
    body = ".".join((PREFIX, place.routine, length, place.band.value, str(place.extra_sets),
                     stream.locale, str(place.block), _base36(place.started)))
    return f"{body}.{_checksum(body)}"


def decode(token: object) -> Stream | None:
    """The stream a token of ours names, or None (logged) for anything else; never raises."""
    if not isinstance(token, str) or not token.startswith(PREFIX + ".") or len(token) > MAX_TOKEN_CHARS:
        if token:
            logger.info("ignoring an AudioPlayer token that is not ours: %.40r", token)
        return None
    body, _, check = token.rpartition(".")
    parts = body.split(".")
    try:
        if len(parts) != 8 or check != _checksum(body):
            raise ValueError("wrong shape or checksum")
        _, routine, length, band, extra, locale, index, started = parts
        if not _ID.match(routine) or locale not in LOCALES or not (extra.isdigit() and index.isdigit()):
            raise ValueError("bad field")
        minutes = int(length[1:]) if length[:1] == "m" and length[1:].isdigit() else 0
        if not 0 <= minutes <= MAX_MINUTES or int(extra) > EXTRA_SETS_LIMIT:
            raise ValueError("field out of range")
        variant = Variant.STANDARD if minutes else VARIANTS_BY_VALUE[length]
        place = Place(routine, variant, BANDS_BY_VALUE[band], int(extra), int(index), int(started, 36), minutes)
        return Stream(place, locale)
    except (KeyError, ValueError) as exc:
        logger.warning("ignoring a malformed or forged AudioPlayer token %.60r: %s", token, exc)
        return None


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
