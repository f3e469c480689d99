"""GET /audio/<key>.mp3: cached prompts and segments served to Alexa with ranges, validators and long caching.

The prompt cache (and the audio extra's filelock) loads on the first request, not with the app:
answering Alexa never needs it unless a recorded clip is played.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Response, jsonify

from skill.config import Settings
from skill.segments import AUDIO_CACHE_CONTROL as CACHE_CONTROL
from skill.segments import PREFIX
from skill.web.extras import answer_missing_extras
from skill.web.files import send_inside

if TYPE_CHECKING:
    from audio.cache import AudioCache

MIMETYPE = "audio/mpeg"


def _not_found(why: str) -> tuple[Response, int]:
    return jsonify(error=f"no such audio prompt: {why}; run 'bandcoach audio warm' to generate prompts"), 404


class _CacheOnFirstUse:
    """The prompt cache over one directory, opened by the first request that needs it."""

    def __init__(self, root: Path, cache: AudioCache | None) -> None:
        self.root, self._cache, self._lock = root, cache, threading.Lock()

    def get(self) -> AudioCache:
        with self._lock:
            if self._cache is None:
                from audio.cache import AudioCache

                self._cache = AudioCache(self.root)
            return self._cache


def audio_blueprint(settings: Settings, *, cache: AudioCache | None = None) -> Blueprint:
    """A blueprint serving the prompt cache under /audio/; register it in create_app."""
    opened = _CacheOnFirstUse(settings.audio_path, cache)
    blueprint = Blueprint("audio", __name__)

    @blueprint.get(f"/{PREFIX}<key>.mp3")
    def prompt(key: str) -> Response | tuple[Response, int]:
        from audio.cache import KEY_PATTERN

        if not KEY_PATTERN.match(key):
            return _not_found("a key is 64 lowercase hexadecimal characters")
        found = opened.get()
        path = found.path_for(key)
        response = None if path is None else send_inside(found.root, path, MIMETYPE, etag=key, max_age=None,
                                                         cache_control=CACHE_CONTROL)
        return response if response is not None else _not_found(f"{key} is not in the cache")

    return answer_missing_extras(blueprint)
