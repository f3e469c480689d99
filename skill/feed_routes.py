"""GET /feed.xml and /exports/<file>: exported routines served as a podcast a phone can subscribe to.

The feed is built per request from the files in BANDCOACH_EXPORT_DIR, with enclosure URLs under
BANDCOACH_PUBLIC_URL, or under the host the request came to when none is set (so a phone on the
same network gets URLs it can reach). Files are served with ranges; names are checked and resolved
paths must stay inside the export directory (no traversal, no symlink escape).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from flask import Blueprint, Response, jsonify, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from audio.feed import build_feed, scan

from .config import Settings

logger = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,150}$")  # what audio.export.slugify and its part names produce
TYPES = {"mp3": "audio/mpeg", "m3u8": "audio/x-mpegurl"}


def exports_base_url(settings: Settings) -> str:
    """Where /exports/ is reachable: the public URL when set, else the host this request reached."""
    base = settings.public_url or request.host_url
    return f"{base.rstrip('/')}/exports"


def _not_found(name: str) -> tuple[Response, int]:
    return jsonify(error=f"no exported file {name!r}: run 'bandcoach export ROUTINE' to create it"), 404


def feed_blueprint(settings: Settings) -> Blueprint:
    """A blueprint serving the export directory and its feed; register it in create_app."""
    blueprint = Blueprint("feed", __name__)
    root = settings.export_path

    @blueprint.get("/feed.xml")
    def feed() -> Response:
        items = scan(root) if root.is_dir() else []
        data = build_feed(items, base_url=exports_base_url(settings))
        response = Response(data, mimetype="application/rss+xml")
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    @blueprint.get("/exports/<name>.<ext>")
    def exported(name: str, ext: str) -> Response | tuple[Response, int]:
        if ext not in TYPES or not NAME.match(name):
            return _not_found(f"{name}.{ext}")
        path = _inside(root, f"{name}.{ext}")
        if path is None:
            return _not_found(f"{name}.{ext}")
        size = path.stat().st_size
        if "Range" in request.headers and (request.range is None or request.range.range_for_length(size) is None):
            return _unsatisfiable(size)
        try:
            response = send_file(path, mimetype=TYPES[ext], conditional=True, max_age=300)
        except RequestedRangeNotSatisfiable:  # the file was replaced between the check and the send
            return _unsatisfiable(path.stat().st_size)
        response.headers["Accept-Ranges"] = "bytes"
        return response

    return blueprint


def _inside(root: Path, name: str) -> Path | None:
    """The regular file `root/name` when its real path is inside the real root, else None (logged)."""
    try:
        real_root = root.resolve(strict=True)
        real = (root / name).resolve(strict=True)
    except OSError:
        return None
    if not real.is_relative_to(real_root) or not real.is_file():
        logger.warning("export %s resolves outside %s (%s); refused", name, real_root, real)
        return None
    return real


def _unsatisfiable(size: int) -> Response:
    response = jsonify(error=f"range not satisfiable: the file has {size} bytes")
    response.status_code = 416
    response.headers["Content-Range"] = f"bytes */{size}"
    return response
