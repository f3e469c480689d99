"""Checks on the request itself, needing no cryptography: the certificate URL, the timestamp, the skill id.

Split from skill.verify so a door that only checks the skill id (the Lambda) never imports
cryptography; skill.verify runs these first, before any certificate work.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import BadRequest

logger = logging.getLogger("skill.verify")  # one logger for every verification failure

CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
TIMESTAMP_TOLERANCE = timedelta(seconds=150)


class VerificationError(BadRequest):
    """A request that failed Alexa verification; `check` names the rule it broke (e.g. "signature")."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"request verification failed ({check}): {message}", status=400)
        self.check = check
        self.detail = message


def reject(check: str, message: str) -> VerificationError:
    """Log the one line that says which check failed, and build the error to raise."""
    logger.warning("Alexa request rejected by the %s check: %s", check, message)
    return VerificationError(check, message)


def show(value: object) -> str:
    """A short, escaped rendering of an untrusted value, safe for one log line."""
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


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


def check_application_id(envelope: Mapping[str, Any], allowed: Sequence[str]) -> None:
    """Raise VerificationError("application_id") unless every applicationId in the envelope is allowed.

    The ids are read from context.System.application and session.application; with no
    configured ids (`allowed` empty) every request passes.
    """
    if not allowed:
        return
    found = [
        value for value in (
            dig(envelope, "context", "System", "application", "applicationId"),
            dig(envelope, "session", "application", "applicationId"),
        ) if value is not None
    ]
    if not found:
        raise reject("application_id", "the request carries no applicationId; it was not sent to this skill")
    for app_id in found:
        if app_id not in allowed:
            raise reject(
                "application_id",
                f"applicationId {show(app_id)} is not one of this skill's ids; "
                "fix: add it to BANDCOACH_SKILL_ID if this skill should answer it",
            )


def dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]... or None when any level is missing or not a mapping (hostile envelopes)."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def check_timestamp(envelope: Mapping[str, Any], now: datetime) -> None:
    """Refuse replays: request.timestamp must be within TIMESTAMP_TOLERANCE of now, either side."""
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
