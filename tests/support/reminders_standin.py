"""A local stand-in for the Alexa Reminders API (POST/GET/DELETE /v1/alerts/reminders) on https://127.0.0.1.

It answers as Amazon documents (developer.amazon.com, smapi/alexa-reminders-api-reference.html):
`Authorization: Bearer <apiAccessToken>` on every call (401 without one, 403 for a token without the
reminders permission), a create body checked for the fields Amazon requires (requestTime, a trigger
with its type and, for SCHEDULED_ABSOLUTE, a scheduledTime or recurrenceRules, times local with no
offset, alertInfo.spokenInfo.content with a locale and text per entry, pushNotification.status
ENABLED or DISABLED), and the reminder objects Amazon lists. Reminders are kept per token, as Amazon
keeps them per runner and skill. It serves HTTPS because ask-sdk's DefaultApiClient refuses plain
HTTP: a throwaway certificate for 127.0.0.1, trusted by `requests` through REQUESTS_CA_BUNDLE
(`ca_bundle`). Everything received is recorded in `seen`.
"""

from __future__ import annotations

import itertools
import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.loopback import LoopbackServer

PATH = "/v1/alerts/reminders"
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")  # ISO 8601 with no zone
_RRULE_PART = re.compile(r"^(FREQ=(WEEKLY|DAILY)|BYDAY=(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*|"
                         r"BYHOUR=\d{1,2}|BYMINUTE=\d{1,2}|BYSECOND=\d{1,2}|INTERVAL=\d+)$")


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the stand-in received, and its answer."""

    method: str
    path: str
    token: str | None
    body: Any
    status: int


@dataclass(slots=True)
class _State:
    granted: set[str] = field(default_factory=set)  # tokens with the reminders permission; others get 403
    fail_status: int | None = None  # answer requests with this status (after the token check)...
    fail_after_posts: int = 0  # ... once this many creates have succeeded...
    fail_methods: tuple[str, ...] = ("POST", "GET", "DELETE")  # ... for these methods
    posts: int = 0
    alerts: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # token -> alertToken -> reminder
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))


def body_problems(body: Any) -> list[str]:
    """What a create body lacks or gets wrong by Amazon's reference; [] when it would be accepted."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    found = []
    if not _LOCAL_TIME.match(str(body.get("requestTime", ""))):
        found.append("requestTime: required, an ISO 8601 time with no offset")
    trigger = body.get("trigger")
    if not isinstance(trigger, dict):
        return [*found, "trigger: required"]
    kind = trigger.get("type")
    recurrence = trigger.get("recurrence")
    if kind == "SCHEDULED_ABSOLUTE":
        rules = recurrence.get("recurrenceRules") if isinstance(recurrence, dict) else None
        if "scheduledTime" not in trigger and not rules:
            found.append("trigger: SCHEDULED_ABSOLUTE needs scheduledTime or recurrence.recurrenceRules")
        for name, value in (("scheduledTime", trigger.get("scheduledTime")),
                            ("recurrence.startDateTime", (recurrence or {}).get("startDateTime"))):
            if value is not None and not _LOCAL_TIME.match(str(value)):
                found.append(f"trigger.{name}: INVALID_TRIGGER_SCHEDULED_TIME_FORMAT (local time, no offset)")
        for rule in rules or []:
            parts = [p for p in str(rule).split(";") if p]
            if not parts or not all(_RRULE_PART.match(p) for p in parts) or not parts[0].startswith("FREQ="):
                found.append(f"trigger.recurrence.recurrenceRules: not an RFC 5545 rule we take: {rule!r}")
    elif kind == "SCHEDULED_RELATIVE":
        if not isinstance(trigger.get("offsetInSeconds"), int):
            found.append("trigger.offsetInSeconds: required for SCHEDULED_RELATIVE")
    else:
        found.append("trigger.type: SCHEDULED_ABSOLUTE or SCHEDULED_RELATIVE")
    content = ((body.get("alertInfo") or {}).get("spokenInfo") or {}).get("content")
    if not isinstance(content, list) or not content:
        found.append("alertInfo.spokenInfo.content: required, at least one entry")
    else:
        for entry in content:
            if not isinstance(entry, dict) or not entry.get("locale") or not entry.get("text"):
                found.append("alertInfo.spokenInfo.content[]: each needs a locale and a text")
    status = (body.get("pushNotification") or {}).get("status", "ENABLED")
    if status not in ("ENABLED", "DISABLED"):
        found.append("pushNotification.status: ENABLED or DISABLED")
    return found


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        status, answer = self._answer(method, token, body)
        state = self.server.state
        with state.lock:
            state.seen.append(Seen(method, self.path, token, body, status))
        data = json.dumps(answer).encode() if answer is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, method: str, token: str | None, body: Any) -> tuple[int, Any]:
        state = self.server.state
        if not token:
            return 401, {"code": "INVALID_BEARER_TOKEN", "message": "Authorization: Bearer <apiAccessToken> needed"}
        if token not in state.granted:
            return 403, {"code": "FORBIDDEN", "message": "the user has not granted reminders permission"}
        if state.fail_status is not None and state.posts >= state.fail_after_posts and method in state.fail_methods:
            return state.fail_status, {"code": "INTERNAL_SERVER_ERROR", "message": "stand-in told to fail"}
        alert_id = self.path.removeprefix(PATH).strip("/") if self.path.startswith(PATH) else None
        if alert_id is None:
            return 404, {"code": "NOT_FOUND", "message": f"no such resource {self.path}"}
        with state.lock:
            mine = state.alerts.setdefault(token, {})
            if method == "POST" and not alert_id:
                problems = body_problems(body)
                if problems:
                    return 400, {"code": "INVALID_REQUEST", "message": "; ".join(problems)}
                made = reminder_object(f"alert-{next(state.ids)}", body)
                mine[made["alertToken"]] = made
                state.posts += 1
                return 200, {key: made[key] for key in ("alertToken", "createdTime", "updatedTime", "status",
                                                        "version", "href")}
            if method == "GET" and not alert_id:
                return 200, {"totalCount": str(len(mine)), "alerts": list(mine.values()), "links": None}
            if alert_id not in mine:
                return 404, {"code": "NOT_FOUND", "message": f"no reminder {alert_id}"}
            if method == "GET":
                return 200, mine[alert_id]
            if method == "DELETE":
                del mine[alert_id]
                return 200, None
        return 405, {"code": "METHOD_NOT_ALLOWED", "message": f"{method} {self.path}"}

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


def reminder_object(alert_token: str, body: dict[str, Any]) -> dict[str, Any]:
    """A reminder as the API lists it: the request's trigger, words and notification, with Amazon's fields."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
    return {"alertToken": alert_token, "createdTime": now, "updatedTime": now, "status": "ON", "version": "1",
            "href": f"{PATH}/{alert_token}", "trigger": body["trigger"], "alertInfo": body["alertInfo"],
            "pushNotification": body.get("pushNotification", {"status": "ENABLED"})}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, written into `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reminders stand-in")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "standin-cert.pem", folder / "standin-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class RemindersStandin(LoopbackServer):
    """Run the stand-in on a free port of 127.0.0.1 for the length of a `with` block."""

    server: _Server

    def __init__(self, folder: Path) -> None:
        self.ca_bundle, key_file = _certificate(folder)
        server = _Server(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_bundle, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.state = _State()
        self.serve_in_background(server, "reminders-standin")

    @property
    def url(self) -> str:
        """The apiEndpoint to put in an envelope's context.System."""
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def grant(self, token: str) -> str:
        """Let `token` use reminders (a runner who gave the permission); returns it."""
        with self.server.state.lock:
            self.server.state.granted.add(token)
        return token

    def fail_with(self, status: int | None, *, after_posts: int = 0,
                  methods: tuple[str, ...] = ("POST", "GET", "DELETE")) -> None:
        """Answer `methods` with `status` once `after_posts` reminders were created (None: answer normally)."""
        with self.server.state.lock:
            state = self.server.state
            state.fail_status, state.fail_after_posts, state.fail_methods, state.posts = status, after_posts, methods, 0

    def add(self, token: str, body: dict[str, Any]) -> str:
        """A reminder that exists before the test (made earlier, or by hand); its alert token."""
        with self.server.state.lock:
            made = reminder_object(f"alert-{next(self.server.state.ids)}", body)
            self.server.state.alerts.setdefault(token, {})[made["alertToken"]] = made
        return str(made["alertToken"])

    def alerts(self, token: str) -> dict[str, dict[str, Any]]:
        """The reminders the stand-in holds for `token`, by alert token."""
        with self.server.state.lock:
            return dict(self.server.state.alerts.get(token, {}))

    @property
    def seen(self) -> list[Seen]:
        with self.server.state.lock:
            return list(self.server.state.seen)

