"""GET /audio/<key>.mp3: cached prompts and segments served to Alexa with ranges, validators and long caching."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from audio.cache import KEY_PATTERN, AudioCache
from skill.config import Settings
from skill.segments import AUDIO_CACHE_CONTROL as CACHE_CONTROL
from skill.segments import PREFIX
from skill.web.files import send_inside

MIMETYPE = "audio/mpeg"


def _not_found(why: str) -> tuple[Response, int]:
    return jsonify(error=f"no such audio prompt: {why}; run 'bandcoach audio warm' to generate prompts"), 404


def audio_blueprint(settings: Settings, *, cache: AudioCache | None = None) -> Blueprint:
    """A blueprint serving the prompt cache under /audio/; register it in create_app."""
    cache = cache or AudioCache(settings.audio_path)
    blueprint = Blueprint("audio", __name__)

    @blueprint.get(f"/{PREFIX}<key>.mp3")
    def prompt(key: str) -> Response | tuple[Response, int]:
        if not KEY_PATTERN.match(key):
            return _not_found("a key is 64 lowercase hexadecimal characters")
        path = cache.path_for(key)
        response = None if path is None else send_inside(cache.root, path, MIMETYPE, etag=key, max_age=None,
                                                         cache_control=CACHE_CONTROL)
        return response if response is not None else _not_found(f"{key} is not in the cache")

    return blueprint
