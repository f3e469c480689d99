"""GET /audio/<key>.mp3: cached prompts served to Alexa with ranges, validators and long caching."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Blueprint, Response, jsonify, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from audio.cache import KEY_PATTERN, AudioCache

from .config import Settings

logger = logging.getLogger(__name__)

CACHE_CONTROL = "public, max-age=31536000, immutable"  # a key names its bytes forever
MIMETYPE = "audio/mpeg"


def public_audio_url(settings: Settings, key: str) -> str | None:
    """The URL Alexa fetches a prompt from, or None when no public URL is configured."""
    if not settings.public_url:
        return None
    return f"{settings.public_url.rstrip('/')}/audio/{key}.mp3"


def cached_audio_urls(
    settings: Settings, texts: Sequence[str], locale: str, *, cache: AudioCache | None = None
) -> list[str] | None:
    """URLs for every text, in order, when all are cached for `locale` and a public URL is set; else None.

    This is the request path's whole question ("can this response be audio clips?"): no engine,
    no network, one manifest query. None means "speak it as text".
    """
    if not settings.public_url:
        return None
    entries = (cache or AudioCache(settings.audio_path)).lookup_many(texts, locale)
    if entries is None:
        return None
    return [url for e in entries if (url := public_audio_url(settings, e.key))]


def _not_found(why: str) -> tuple[Response, int]:
    return jsonify(error=f"no such audio prompt: {why}; run 'bandcoach audio warm' to generate prompts"), 404


def _unsatisfiable(size: int) -> bool:
    """Whether the request's Range cannot be served from `size` bytes (checked before opening the file)."""
    if "Range" not in request.headers:
        return False
    wanted = request.range  # None when the header is malformed, which werkzeug also answers with 416
    return wanted is None or wanted.range_for_length(size) is None


def _range_not_satisfiable(size: int) -> Response:
    response = jsonify(error=f"range not satisfiable: the prompt has {size} bytes")
    response.status_code = 416
    response.headers["Content-Range"] = f"bytes */{size}"
    return response


def audio_blueprint(settings: Settings, *, cache: AudioCache | None = None) -> Blueprint:
    """A blueprint serving the prompt cache under /audio/; register it in create_app."""
    cache = cache or AudioCache(settings.audio_path)
    blueprint = Blueprint("audio", __name__)

    @blueprint.get("/audio/<key>.mp3")
    def prompt(key: str) -> Response | tuple[Response, int]:
        if not KEY_PATTERN.match(key):
            return _not_found("a key is 64 lowercase hexadecimal characters")
        path = cache.path_for(key)
        if path is None:
            return _not_found(f"{key} is not in the cache")
        real, root = path.resolve(), cache.root.resolve()
        if not real.is_relative_to(root) or not real.is_file():
            logger.warning("audio %s resolves outside the cache (%s); refused", key, real)
            return _not_found(f"{key} is not in the cache")
        size = real.stat().st_size
        if _unsatisfiable(size):
            return _range_not_satisfiable(size)
        try:
            response = send_file(real, mimetype=MIMETYPE, conditional=True, etag=key, max_age=None)
        except RequestedRangeNotSatisfiable:  # the file changed size between the check and the send
            return _range_not_satisfiable(size)
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["Accept-Ranges"] = "bytes"
        return response

    return blueprint
