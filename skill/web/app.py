"""create_app(): the Flask front door, POST /alexa and GET /healthz, with JSON errors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from skill.config import Settings
from skill.errors import BadRequest
from skill.handlers.endpoint import MAX_BODY_BYTES, parse_body
from skill.plugins import BandCoachPluginManager
from skill.runtime import build_runtime
from skill.web.audio import audio_blueprint
from skill.web.feed import feed_blueprint

if TYPE_CHECKING:
    from skill.web.verify import RequestVerifier


logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, pm: BandCoachPluginManager | None = None,
    verifier: RequestVerifier | None = None,
) -> Flask:
    """The Flask app; tests pass their own settings, plugin manager and verifier, like flaskr's test_config.

    With verification on (the default), requests are checked by `verifier`, else by one built from
    the settings; cryptography is imported only then. With it off, `verifier` is ignored.
    """
    runtime = build_runtime(settings, pm=pm)
    if runtime.settings.verify and verifier is None:
        from skill.web.verify import RequestVerifier

        verifier = RequestVerifier.from_settings(runtime.settings)
    verifier = verifier if runtime.settings.verify else None
    app = Flask(__name__)
    app.extensions["bandcoach"] = runtime
    app.register_blueprint(audio_blueprint(runtime.settings))
    app.register_blueprint(feed_blueprint(runtime.settings))
    if not runtime.settings.verify:
        logger.warning("request verification is OFF (BANDCOACH_VERIFY=0): use this only for local development")

    @app.post("/alexa")
    def alexa() -> Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise BadRequest(f"request body is over {MAX_BODY_BYTES // 1024} KiB")
        body = request.stream.read(MAX_BODY_BYTES + 1)  # bounded even without a Content-Length
        envelope = parse_body(body)
        if verifier is not None:
            verifier.verify(request.headers, body, envelope)
        runtime.check_skill_id(envelope)
        try:
            raw = body.decode("utf-8")  # Alexa sends UTF-8; any other encoding is re-serialised instead
        except UnicodeDecodeError:
            raw = None
        return jsonify(runtime.endpoint.handle(envelope, raw=raw))

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
