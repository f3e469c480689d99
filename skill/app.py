"""create_app(): the Flask front door, POST /alexa and GET /healthz, with JSON errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .catalog import Catalog
from .config import Settings
from .endpoint import MAX_BODY_BYTES, SkillEndpoint, parse_body
from .errors import BadRequest
from .handlers import Deps, build_skill
from .plugins import BandCoachPluginManager, make_plugin_manager
from .state import make_store

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    """What the app built once at start: settings, plugins, catalog, the ask-sdk endpoint."""

    settings: Settings
    pm: BandCoachPluginManager
    catalog: Catalog
    endpoint: SkillEndpoint
    verifier: Any = None  # skill.verify.RequestVerifier when verification is on


def build_runtime(
    settings: Settings | None = None, *, pm: BandCoachPluginManager | None = None, verifier: Any = None
) -> Runtime:
    """Settings, plugins and the skill, built once per process (hooks never run per request).

    `verifier` replaces the one built from settings (tests pin its clock); it is ignored when
    verification is off.
    """
    settings = settings or Settings.from_env()
    pm = pm or make_plugin_manager(settings)
    catalog = Catalog.build(pm)
    store = make_store(settings)
    store.migrate()
    deps = Deps(catalog=catalog, settings=settings, store=store)
    if settings.verify and verifier is None:
        from .verify import RequestVerifier  # cryptography costs ~20 ms of start-up: only when verifying

        verifier = RequestVerifier.from_settings(settings)
    return Runtime(settings, pm, catalog, SkillEndpoint(build_skill(deps)), verifier if settings.verify else None)


def create_app(
    settings: Settings | None = None, *, pm: BandCoachPluginManager | None = None, verifier: Any = None
) -> Flask:
    """The Flask app; tests pass their own settings and plugin manager, like flaskr's test_config."""
    runtime = build_runtime(settings, pm=pm, verifier=verifier)
    app = Flask(__name__)
    app.extensions["bandcoach"] = runtime
    if not runtime.settings.verify:
        logger.warning("request verification is OFF (BANDCOACH_VERIFY=0): use this only for local development")

    @app.post("/alexa")
    def alexa() -> Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise BadRequest(f"request body is over {MAX_BODY_BYTES // 1024} KiB")
        body = request.stream.read(MAX_BODY_BYTES + 1)  # bounded even without a Content-Length
        envelope = parse_body(body)
        if runtime.verifier is not None:
            runtime.verifier.verify(request.headers, body, envelope)
        if runtime.settings.skill_id:
            from .verify import check_application_id

            check_application_id(envelope, runtime.settings.skill_id)
        return jsonify(runtime.endpoint.handle(envelope))

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", routines=len(runtime.catalog.routines),
                       plugin_failures=len(runtime.pm.failures))

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> tuple[Response, int]:
        logger.info("refused request: %s", exc)
        return jsonify(error=str(exc)), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.description or exc.name), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        logger.exception("unexpected error on %s", request.path)
        return jsonify(error="internal error; the operator can find the traceback in the log"), 500

    return app
