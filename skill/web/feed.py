"""GET /feed.xml and /exports/<file>: exported routines served as a podcast a phone can subscribe to.

The feed is built per request from the files in BANDCOACH_EXPORT_DIR, with enclosure URLs under
BANDCOACH_PUBLIC_URL, or, when none is set, under the address the server itself listens on (WSGI's
SERVER_NAME and SERVER_PORT, which `bandcoach serve` sets from --host and --port): never the
request's Host header, which a client chooses, and such a feed is only privately cacheable. A
server on a wildcard address (0.0.0.0) has no one address to give, so the feed is refused with the fix.
Files are served with ranges; names are checked and resolved paths must stay inside the export
directory (no traversal, no symlink escape).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from skill.config import Settings
from skill.errors import BadRequest
from skill.web.files import send_inside

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,150}$")  # what audio.export.slugify and its part names produce
TYPES = {"mp3": "audio/mpeg", "m3u8": "audio/x-mpegurl"}
FEED_MAX_AGE = 300  # seconds a feed may be kept: exports change rarely
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]", "*", "waitress.invalid"})  # addresses that name no host
DEFAULT_PORTS = {"http": "80", "https": "443"}


def own_base_url(environ: dict[str, Any]) -> str:
    """This server's own address from WSGI's SERVER_NAME and SERVER_PORT (set by the server, not the client).

    Raises BadRequest (503) with the fix when the server listens on every interface, which names no one
    address a phone could use.
    """
    host = str(environ.get("SERVER_NAME", ""))
    port = str(environ.get("SERVER_PORT", ""))
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    if host in WILDCARD_HOSTS:
        raise BadRequest("the feed needs the address phones reach this server at: set BANDCOACH_PUBLIC_URL "
                         "(e.g. http://192.168.1.20:5000), or serve on one address with --host", status=503)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    shown_port = "" if not port or DEFAULT_PORTS.get(scheme) == port else f":{port}"
    return f"{scheme}://{host}{shown_port}"


def exports_base_url(settings: Settings) -> str:
    """Where /exports/ is reachable: the public URL when set, else this server's own address."""
    base = settings.public_url or own_base_url(request.environ)
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
        # Without a public URL the links name this server's own address, which a shared cache must not
        # hand to anyone else; with one, every client gets the same document.
        response.headers["Cache-Control"] = f"{'public' if settings.public_url else 'private'}, max-age={FEED_MAX_AGE}"
        return response

    @blueprint.get("/exports/<name>.<ext>")
    def exported(name: str, ext: str) -> Response | tuple[Response, int]:
        if ext not in TYPES or not NAME.match(name):
            return _not_found(f"{name}.{ext}")
        response = send_inside(root, root / f"{name}.{ext}", TYPES[ext], max_age=300)
        return response if response is not None else _not_found(f"{name}.{ext}")

    return blueprint

