"""Checks on the request itself, needing no cryptography: the certificate URL, the timestamp, the request id.

Split from skill.web.verify so they stay cheap and testable alone; the verifier runs them first,
before any certificate work (and so before any download). The skill-id check, which the Lambda
door needs too, is skill.handlers.endpoint.check_application_id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from skill.errors import reject, show
from skill.handlers.endpoint import dig

CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
MAX_REQUEST_ID_CHARS = 256  # Alexa's are about 60; the bound keeps remembered ids small


def validate_cert_url(url: str) -> None:
    """Raise VerificationError("cert_url") unless `url` is where Amazon publishes its signing chain.

    The rules are Amazon's: https, host s3.amazonaws.com, port 443 when given, and a path under
    /echo.api/ once `.` and `..` segments (also percent-encoded ones) are resolved.
    """
    fix = f"Alexa sends https://{CERT_URL_HOST}{CERT_URL_PATH_PREFIX}...; this request did not come from Alexa"
    if not url.isprintable() or any(ch.isspace() for ch in url):
        raise reject("cert_url", f"SignatureCertChainUrl {show(url)} contains spaces or control characters; {fix}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise reject("cert_url", f"SignatureCertChainUrl {show(url)} is not a URL; {fix}") from None
    if parts.scheme.lower() != "https":
        raise reject("cert_url", f"SignatureCertChainUrl {show(url)} does not use https; {fix}")
    if parts.hostname != CERT_URL_HOST or parts.username is not None or parts.password is not None:
        raise reject("cert_url", f"SignatureCertChainUrl {show(url)} is not on host {CERT_URL_HOST}; {fix}")
    if port not in (None, 443):
        raise reject("cert_url", f"SignatureCertChainUrl {show(url)} uses port {port}, not 443; {fix}")
    if not _remove_dot_segments(unquote(parts.path)).startswith(CERT_URL_PATH_PREFIX):
        raise reject("cert_url", f"SignatureCertChainUrl {show(url)} is not under {CERT_URL_PATH_PREFIX}; {fix}")


def _remove_dot_segments(path: str) -> str:
    """Resolve `.` and `..` in a URL path (RFC 3986 5.2.4); `..` never climbs above the root."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
            continue
        kept.append(segment)
    return "/".join(kept)


def check_timestamp(envelope: Mapping[str, Any], now: datetime) -> datetime:
    """Refuse late replays: request.timestamp must be within TIMESTAMP_TOLERANCE of now, either side.

    Returns the parsed timestamp; a request id needs remembering until it + TIMESTAMP_TOLERANCE,
    after which this check refuses the request anyway.
    """
    raw = dig(envelope, "request", "timestamp")
    if not isinstance(raw, str):
        raise reject("timestamp", "request.timestamp is missing; Alexa always sends an ISO 8601 time")
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        raise reject("timestamp", f"request.timestamp {show(raw)} is not an ISO 8601 time") from None
    if stamp.tzinfo is None:
        raise reject("timestamp", f"request.timestamp {show(raw)} has no UTC offset; Alexa sends ...Z")
    skew = abs(now - stamp)
    if skew > TIMESTAMP_TOLERANCE:
        raise reject(
            "timestamp",
            f"request.timestamp {show(raw)} is {skew.total_seconds():.0f} s from now (limit "
            f"{TIMESTAMP_TOLERANCE.total_seconds():.0f} s); a replay, or fix this machine's clock (NTP)",
        )
    return stamp


def request_id(envelope: Mapping[str, Any]) -> str:
    """request.requestId, which every Alexa request carries; refuse ("request_id") a missing or odd one."""
    raw = dig(envelope, "request", "requestId")
    if not isinstance(raw, str) or not raw:
        raise reject("request_id", "request.requestId is missing; Alexa sends one with every request")
    if len(raw) > MAX_REQUEST_ID_CHARS or not raw.isprintable():
        raise reject("request_id", f"request.requestId {show(raw)} is not an Alexa request id "
                     f"(over {MAX_REQUEST_ID_CHARS} characters, or control characters)")
    return raw
