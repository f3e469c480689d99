"""GET /feed.xml and /exports/<file>: exported routines served as a podcast a phone can subscribe to.

The feed is built per request from the files in BANDCOACH_EXPORT_DIR (where `bandcoach export`
writes by default), with URLs under BANDCOACH_PUBLIC_URL, or, when none is set, under the address
the server itself listens on (WSGI's SERVER_NAME and SERVER_PORT, which `bandcoach serve` sets from
--host or --lan and --port): never the request's Host header, which a client chooses, and such a
feed is only privately cacheable. A server on a wildcard address (0.0.0.0) has no one address to
give, so the feed is refused with the fix. The feed carries an ETag and Last-Modified, and a
podcast app polling with them gets a 304. Files (audio, playlists, covers, chapters, transcripts)
are served with ranges; names are checked and resolved paths must stay inside the export directory
(no traversal, no symlink escape).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from skill.config import Settings
from skill.errors import BadRequest
from skill.web.extras import answer_missing_extras
from skill.web.files import send_inside

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,150}$")  # what audio.export.slugify and its part names produce
TYPES = {  # what an export writes, by extension (audio.export)
    "mp3": "audio/mpeg",
    "m3u": "audio/x-mpegurl",
    "m3u8": "application/vnd.apple.mpegurl",  # HLS (RFC 8216 §4)
    "png": "image/png",
    "jpg": "image/jpeg",
    "json": "application/json",  # podcast:chapters (type application/json+chapters in the feed)
    "vtt": "text/vtt",
}
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


def site_url(settings: Settings) -> str:
    """Where this server is reachable: the public URL when set, else its own address (no trailing slash)."""
    return (settings.public_url or own_base_url(request.environ)).rstrip("/")


def exports_base_url(settings: Settings) -> str:
    """Where /exports/ is reachable."""
    return f"{site_url(settings)}/exports"


def _has_home_page() -> bool:
    """Whether the app answers GET / (the phone pages), which then is the show's link."""
    return any(rule.rule == "/" and "GET" in (rule.methods or ()) for rule in current_app.url_map.iter_rules())


def _last_modified(root: Path, newest: datetime | None) -> datetime:
    """The feed's Last-Modified: the newest export, or the directory's own change (a file removed)."""
    try:
        changed = datetime.fromtimestamp(root.stat().st_mtime, UTC)
    except OSError:
        changed = datetime.fromtimestamp(0, UTC)
    return max(changed, newest or changed).replace(microsecond=0)


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
        from audio.feed import FEED_NAME, Channel, build_feed, scan

        items = scan(root) if root.is_dir() else []
        site = site_url(settings)
        feed_url = f"{site}/{FEED_NAME}"
        channel = Channel(f"{site}/exports", feed_url, f"{site}/" if _has_home_page() else feed_url,
                          settings.feed_owner, settings.feed_email)
        data = build_feed(items, channel)  # the show's cover is always served (drawn when not exported yet)
        response = Response(data, mimetype="application/rss+xml")
        # Without a public URL the links name this server's own address, which a shared cache must not
        # hand to anyone else; with one, every client gets the same document.
        response.headers["Cache-Control"] = f"{'public' if settings.public_url else 'private'}, max-age={FEED_MAX_AGE}"
        response.set_etag(hashlib.sha256(data).hexdigest()[:32])
        response.last_modified = _last_modified(root, max((i.modified for i in items), default=None))
        response.make_conditional(request)  # 304 (no body) when the app already holds this version
        return response

    @blueprint.get("/exports/<name>.<ext>")
    def exported(name: str, ext: str) -> Response | tuple[Response, int]:
        if ext not in TYPES or not NAME.match(name):
            return _not_found(f"{name}.{ext}")
        response = send_inside(root, root / f"{name}.{ext}", TYPES[ext], max_age=300)
        if response is not None:
            return response
        from audio.feed import SHOW_COVER, show_cover

        if f"{name}.{ext}" == SHOW_COVER:  # the feed names it before anything is exported: drawn here
            return Response(show_cover(), mimetype=TYPES[ext], headers={"Cache-Control": "public, max-age=300"})
        return _not_found(f"{name}.{ext}")

    return answer_missing_extras(blueprint)  # the feed reads exports with mutagen

