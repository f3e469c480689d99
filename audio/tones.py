"""Tone cues: short generated beeps for "go", each of the last three seconds and "rest", kept in the cache.

A tone is a sine with raised-cosine edges (no click), levelled to the same loudness as speech and
encoded to the same MP3 profile, so the renderer joins it frame by frame like any clip. numpy and
the codecs load only when a tone is made, so the renderer stays light on the request path. A tone is
content-addressed like a prompt (its key covers its shape and the MP3 format), so it is made once
per cache; making one is a sine and one small encode (milliseconds), never speech synthesis, which
is why the renderer may make a missing tone on first use. Pitches a fifth or more apart, and lengths
that differ, keep the three apart over music: a short mid beep counts, a long high one says go, a
long low one says rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audio import profile
from audio.cache import AudioCache, Entry
from audio.engines import EngineIdentity
from skill.timeline import TONE_SLOTS

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bump when the tones' sound changes without their numbers changing: it is in every tone key."""

TONE_ENGINE = "tone"  # the cache's engine column for tones (stats show them apart)
TONE_LOCALE = "any"  # a tone says no words: one per cache, whatever the locale
EDGE_SECONDS = 0.010  # raised-cosine fade in and out: no click at either end
ENCODER_ROOM = 0.08  # seconds of a slot left for the encoder's delay (46 ms) and its last partial frame


@dataclass(frozen=True, slots=True)
class Tone:
    """One tone's sound: its pitch and how long it sounds."""

    hertz: float
    seconds: float


TONES = {
    "go": Tone(987.77, 0.30),  # B5: high and long, the start of work
    "count": Tone(659.25, 0.12),  # E5: a short pip for each of the last three seconds
    "rest": Tone(440.0, 0.45),  # A4: low and long, stop and breathe
}


def tone_samples(name: str) -> np.ndarray:
    """The tone's 16-bit samples at the profile's rate, before levelling."""
    import numpy as np  # only when a tone is made: the renderer imports this module on the request path

    tone = TONES[name]
    t = np.arange(round(tone.seconds * profile.SAMPLE_RATE)) / profile.SAMPLE_RATE
    edge = round(EDGE_SECONDS * profile.SAMPLE_RATE)
    envelope = np.ones(len(t))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)
    envelope[:edge], envelope[-edge:] = ramp, ramp[::-1]
    wave: np.ndarray = (np.sin(2 * math.pi * tone.hertz * t) * envelope * 0.25 * 32767).astype(np.int16)
    return wave


def tone_key(name: str) -> str:
    """sha256 over everything that changes a tone's bytes: its shape, loudness and the MP3 format."""
    tone = TONES[name]
    payload = {"kind": "tone", "name": name, "hertz": tone.hertz, "seconds": tone.seconds,
               "format_version": FORMAT_VERSION, "mp3_format_version": profile.FORMAT_VERSION,
               "lufs": profile.TARGET_LUFS}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def ensure_tone(cache: AudioCache, name: str) -> Entry:
    """The cached clip of tone `name`, made and kept the first time (StorageError if the cache cannot keep it)."""
    key = tone_key(name)
    entry = cache.intact_entry(key)
    if entry is not None:
        return entry
    from audio import mp3  # the codecs load only when a tone is made

    data = mp3.encode_levelled(tone_samples(name))
    ident = EngineIdentity(TONE_ENGINE, str(FORMAT_VERSION), name, "1")
    cache.keep(key, data, ident, TONE_LOCALE, f"tone: {name}", mp3.duration(data))
    logger.debug("made tone %s (%s)", name, key[:12])
    made = cache.intact_entry(key)
    if made is None:  # kept a moment ago: only a concurrent prune could take it
        raise FileNotFoundError(f"tone {name} vanished from the audio cache at {cache.root}")
    return made


def fits_slot(name: str) -> bool:
    """Whether the tone, with the encoder's delay, ends inside its timeline slot (so the words start on time)."""
    return TONES[name].seconds + ENCODER_ROOM <= TONE_SLOTS[name]
