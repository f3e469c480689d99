"""The phone blueprint: the routine list at /, a routine's page and audio, the manifest, icons and service worker."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from skill.config import LOCALES
from skill.errors import BadRequest, BandCoachError
from skill.routines import BandLevel, Place, Variant
from skill.web.phone.choices import FITTED_MINUTES, Choice
from skill.web.phone.pages import RoutineCard, exercise_rows, page_filters, routine_cards
from skill.web.phone.playable import RoutineAudio
from skill.web.phone.share import qr_svg, server_address

if TYPE_CHECKING:
    from skill.runtime import Runtime

HERE = Path(__file__).parent
ASSETS = ("app.css", "app.js")  # the shell the service worker keeps, with the pages it serves offline
ICON_SIZES = (180, 192, 512)  # 180: the iPhone home screen; 192 and 512: the manifest's
THEME = "#155e75"  # audio.artwork.BRAND, the icons' background
BACKGROUND = "#ffffff"
APP_NAME = "Band Coach"
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def asset_version() -> str:
    """A short hash of the assets and the service worker: it names the shell's cache and busts stale copies."""
    digest = hashlib.sha256()
    for path in [HERE / "static" / name for name in ASSETS] + [HERE / "templates" / "phone" / "sw.js"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def phone_blueprint(runtime: Runtime) -> Blueprint:
    """The phone web app over the runtime's catalog and settings; register it in create_app."""
    blueprint = Blueprint("phone", __name__, static_folder="static", static_url_path="/assets",
                          template_folder="templates")
    catalog, settings = runtime.catalog, runtime.settings
    audio = RoutineAudio(settings, runtime.pm)
    version = asset_version()
    cards: dict[str, list[RoutineCard]] = {}  # per locale: the catalog does not change while the app runs
    cards_lock = threading.Lock()
    for name, function in page_filters().items():
        blueprint.add_app_template_filter(function, f"phone_{name}")

    @blueprint.context_processor
    def shell() -> dict[str, object]:
        return {"version": version, "theme": THEME, "app_name": APP_NAME, "assets": ASSETS}

    def page(html: str, status: int = 200) -> Response:
        response = Response(html, status=status, mimetype="text/html")
        response.headers["Cache-Control"] = "no-cache"  # revalidated each time: the service worker keeps copies
        response.headers["Content-Security-Policy"] = CSP
        return response

    def problem(status: int, message: str) -> Response:
        return page(render_template("phone/problem.html", status=status, message=message), status)

    def choice_for(routine_id: str) -> Choice:
        if routine_id not in catalog.routines:
            raise BadRequest(f"there is no routine {routine_id[:40]!r}: choose one from the list", status=404)
        return Choice.from_query(catalog, routine_id, request.args, default_locale=settings.locale)

    @blueprint.get("/")
    def index() -> Response:
        with cards_lock:
            if settings.locale not in cards:
                cards[settings.locale] = routine_cards(catalog, settings.locale)
        try:
            address, unnamed = server_address(settings, request.environ), None
        except BadRequest as exc:  # listening on every interface: the page says how to name one
            address, unnamed = None, str(exc)
        return page(render_template("phone/index.html", cards=cards[settings.locale], address=address,
                                    unnamed=unnamed, qr=qr_svg(f"{address.url}/") if address else ""))

    @blueprint.get("/routines/<routine_id>")
    def routine(routine_id: str) -> Response:
        try:
            choice = choice_for(routine_id)
        except BadRequest as exc:
            return problem(exc.status, str(exc))
        timeline = choice.timeline(catalog)
        lengths = {v.value: round(catalog.timeline_at(Place(routine_id, v, choice.band), choice.locale).seconds)
                   for v in Variant}
        return page(render_template(
            "phone/routine.html", routine=catalog.routines[routine_id], choice=choice, timeline=timeline,
            rows=exercise_rows(timeline), bands=[b.value for b in BandLevel], lengths=lengths,
            fitted=FITTED_MINUTES, locales=LOCALES,
            play_url=choice_url("phone.play", choice), page_url=choice_url("phone.routine", choice)))

    @blueprint.get("/routines/<routine_id>/play.json")
    def play(routine_id: str) -> tuple[Response, int]:
        """The chosen routine's audio (made on first request) with its chapters; a one-line error otherwise."""
        try:
            choice = choice_for(routine_id)
            playable = audio.playable(choice.timeline(catalog))
        except BadRequest as exc:
            return jsonify(error=str(exc)), exc.status
        except BandCoachError as exc:  # no engine, a prompt that failed, a full disk: said on the page
            return jsonify(error=str(exc)), 503
        return jsonify(title=catalog.routines[routine_id].name, routine=routine_id, **choice.query(),
                       page=choice_url("phone.routine", choice),
                       audio=url_for("audio.prompt", key=playable.key), **playable.as_json()), 200

    @blueprint.get("/manifest.webmanifest")
    def manifest() -> Response:
        """The web app manifest: name, start URL, display, colours and icons, so the page installs like an app."""
        document = {
            "id": "/", "name": APP_NAME, "short_name": APP_NAME, "start_url": "/", "scope": "/",
            "description": "Resistance-band routines for runners: browse, play and keep them offline.",
            "display": "standalone", "orientation": "portrait", "theme_color": THEME,
            "background_color": BACKGROUND, "lang": "en",
            "icons": [{"src": f"/icons/{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
                       "purpose": "any"} for size in ICON_SIZES if size != 180],
        }
        response = Response(json.dumps(document, indent=1), mimetype="application/manifest+json")
        response.headers["Cache-Control"] = "no-cache"
        return response

    @blueprint.get("/icons/<int:size>.png")
    def icon(size: int) -> Response | tuple[Response, int]:
        if size not in ICON_SIZES:
            return jsonify(error=f"no {size} px icon: sizes are {', '.join(map(str, ICON_SIZES))}"), 404
        response = Response(_icon(size), mimetype="image/png")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @blueprint.get("/sw.js")
    def service_worker() -> Response:
        """The service worker, at the root so its scope is the whole app; never cached, so updates arrive."""
        shell_urls = ["/", *(url_for("phone.static", filename=name, v=version) for name in ASSETS),
                      "/manifest.webmanifest", *(f"/icons/{size}.png" for size in ICON_SIZES if size != 180)]
        script = render_template("phone/sw.js", version=version, shell=json.dumps(shell_urls))
        response = Response(script, mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-cache"
        return response

    return blueprint


def choice_url(endpoint: str, choice: Choice) -> str:
    """The address of a routine's page or audio for this choice."""
    values: dict[str, Any] = {"routine_id": choice.routine, **choice.query()}
    return url_for(endpoint, **values)


@functools.lru_cache(maxsize=len(ICON_SIZES))
def _icon(size: int) -> bytes:
    """The app icon at `size` px (audio.artwork's cover motif), drawn once per process."""
    from audio.artwork import square_png  # Pillow loads on the first icon, not with the app

    return square_png(size, APP_NAME)
