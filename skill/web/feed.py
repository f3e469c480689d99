"""GET /feed.xml and /exports/<file>: exported routines served as a podcast a phone can subscribe to.

The feed is built per request from the files in BANDCOACH_EXPORT_DIR, with enclosure URLs under
BANDCOACH_PUBLIC_URL, or under the host the request came to when none is set (so a phone on the
same network gets URLs it can reach). Files are served with ranges; names are checked and resolved
paths must stay inside the export directory (no traversal, no symlink escape).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from skill.config import Settings
from skill.web.files import send_inside

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
        # Imported on the first feed request: the feed needs the export reader and mutagen (about 15 ms
        # of `import skill.web.app` by -X importtime), which no Alexa request does.
        from audio.feed import build_feed, scan

        items = scan(root) if root.is_dir() else []
        data = build_feed(items, base_url=exports_base_url(settings))
        response = Response(data, mimetype="application/rss+xml")
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    @blueprint.get("/exports/<name>.<ext>")
    def exported(name: str, ext: str) -> Response | tuple[Response, int]:
        if ext not in TYPES or not NAME.match(name):
            return _not_found(f"{name}.{ext}")
        response = send_inside(root, root / f"{name}.{ext}", TYPES[ext], max_age=300)
        return response if response is not None else _not_found(f"{name}.{ext}")

    return blueprint

