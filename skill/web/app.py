"""create_app(): the Flask front door, POST /alexa, GET /healthz and /metrics, with JSON errors and one log line a
request."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from skill.config import SKILL_ID_MISSING, Settings
from skill.errors import BadRequest, VerificationError, show
from skill.handlers.endpoint import MAX_BODY_BYTES, dig, parse_body
from skill.plugins import BandCoachPluginManager
from skill.runtime import build_runtime
from skill.web.audio import audio_blueprint
from skill.web.feed import feed_blueprint
from skill.web.metrics import Metrics
from skill.web.phone import phone_blueprint

if TYPE_CHECKING:
    from skill.web.verify import RequestVerifier


logger = logging.getLogger(__name__)
request_log = logging.getLogger("bandcoach.requests")  # one line per request: id, kind, latency, outcome
MAX_LOGGED_CHARS = 100  # of any value a request carries (request id, intent name): cut, then escaped


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
    metrics = Metrics(runtime.store_health, lambda: dict(verifier.fetches) if verifier is not None else {})
    app = Flask(__name__)
    app.extensions["bandcoach"] = runtime
    app.register_blueprint(audio_blueprint(runtime.settings))
    app.register_blueprint(feed_blueprint(runtime.settings))
    app.register_blueprint(phone_blueprint(runtime))  # the runner's phone at / (docs/phone.md)
    if not runtime.settings.verify:
        logger.warning("request verification is OFF (BANDCOACH_VERIFY=0 or --local): use this only for local "
                       "development")
    if runtime.settings.skill_id_missing:
        logger.error(SKILL_ID_MISSING)  # once, at start; /healthz keeps saying it

    @app.before_request
    def started() -> None:
        g.started = time.perf_counter()

    @app.post("/alexa")
    def alexa() -> Response:
        if runtime.settings.skill_id_missing:  # nothing can be answered: refuse before reading a byte
            raise VerificationError("application_id", SKILL_ID_MISSING)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise BadRequest(f"request body is over {MAX_BODY_BYTES // 1024} KiB")
        body = request.stream.read(MAX_BODY_BYTES + 1)  # bounded even without a Content-Length
        envelope = parse_body(body)
        g.alexa = _described(envelope)
        if verifier is not None:
            verifier.verify(request.headers, body, envelope)
        runtime.check_skill_id(envelope)
        return jsonify(runtime.endpoint.handle(envelope, strict=True))

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        """200 while the skill can serve runners; 503 with each problem and its fix while it cannot."""
        problems = runtime.problems()
        return jsonify(status="degraded" if problems else "ok", problems=problems,
                       store=runtime.store_health.report() or {"status": "ok"},
                       routines=len(runtime.catalog.routines), plugin_failures=len(runtime.pm.failures)), \
            503 if problems else 200

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> tuple[Response, int]:
        g.outcome = f"refused ({exc.check})" if isinstance(exc, VerificationError) else "refused"
        logger.debug("refused request: %s", exc)  # the request line below says it, escaped
        g.reason = str(exc)
        return jsonify(error=str(exc)), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.description or exc.name), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        logger.exception("unexpected error on %s", show(request.path))
        g.outcome = "error"
        return jsonify(error="internal error; the operator can find the traceback in the log"), 500

    @app.get("/metrics")
    def prometheus() -> Response:
        """Counters and histograms in Prometheus's text format (docs/deploy.md: keep it off the public internet)."""
        return metrics.response()

    @app.after_request
    def log_request(response: Response) -> Response:
        _log_request(response)
        if request.path == "/alexa":
            started = g.get("started")
            outcome = g.get("outcome") or ("answered" if response.status_code < 400 else "refused")
            metrics.observe((g.get("alexa") or {}).get("type"), outcome,
                            time.perf_counter() - started if started is not None else 0.0)
        return response

    return app


def _described(envelope: dict[str, Any]) -> dict[str, str | None]:
    """What the request line says about an envelope: its id, type and intent (untrusted: cut here, escaped
    when logged). Never the user or device id."""
    def cut(value: Any) -> str | None:
        return value[:MAX_LOGGED_CHARS] if isinstance(value, str) else None

    return {"request_id": cut(dig(envelope, "request", "requestId")), "type": cut(dig(envelope, "request", "type")),
            "intent": cut(dig(envelope, "request", "intent", "name"))}


def _log_request(response: Response) -> None:
    """One line for this request; JSON logging (BANDCOACH_LOG_FORMAT=json) gets the fields as keys."""
    level = logging.DEBUG if request.path == "/healthz" and response.status_code == 200 else logging.INFO
    if not request_log.isEnabledFor(level):
        return
    started = g.get("started")
    latency_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    outcome = g.get("outcome") or ("answered" if response.status_code < 400 else "refused")
    alexa = g.get("alexa") or {}
    fields = {"method": request.method, "path": request.path[:MAX_LOGGED_CHARS], "status": response.status_code,
              "latency_ms": latency_ms, "outcome": outcome, **alexa}
    if g.get("reason"):
        fields["reason"] = str(g.reason)[:300]
    kind = "/".join(str(alexa[k]) for k in ("type", "intent") if alexa.get(k))
    request_log.log(level, "%s %s %d %s ms %s%s%s", request.method, show(fields["path"]), response.status_code,
                    latency_ms, outcome, f" {show(kind)}" if kind else "",
                    f" id={show(alexa['request_id'])}" if alexa.get("request_id") else "",
                    extra={"fields": fields})
