"""The BandCoachError hierarchy: messages are shown to users and say how to fix the problem.

Only errors raised by more than one package live here; the others sit beside the code that raises them.
"""

from __future__ import annotations

import logging

verification_log = logging.getLogger("bandcoach.verification")  # one logger for every rejected request


class BandCoachError(Exception):
    """A failure whose message is safe to show a user: what happened, why, and the fix."""


class ConfigError(BandCoachError):
    """A BANDCOACH_* setting (or a CLI option) has a value we cannot use."""


class UnknownRoutine(BandCoachError):
    """Somebody asked for a routine no loaded plugin offers."""

    def __init__(self, name: str, known: list[str]) -> None:
        listing = ", ".join(known) or "none are loaded"
        super().__init__(f"unknown routine {name!r}: choose one of {listing}")
        self.name = name


class NoEngineAvailable(BandCoachError):
    """No text-to-speech engine can run on this machine."""

    def __init__(self, detail: str = "") -> None:
        message = (
            "no TTS engine available: install espeak-ng (apt-get install espeak-ng) "
            "or allow network access for gTTS"
        )
        super().__init__(f"{message} ({detail})" if detail else message)


class BadRequest(BandCoachError):
    """An HTTP request we refuse; `status` is the HTTP status to answer with."""

    status = 400

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class VerificationError(BadRequest):
    """A request that failed Alexa verification; `check` names the rule it broke (e.g. "signature")."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"request verification failed ({check}): {message}", status=400)
        self.check = check
        self.detail = message


def reject(check: str, message: str) -> VerificationError:
    """Log the one line that says which check failed, and build the error to raise."""
    verification_log.warning("Alexa request rejected by the %s check: %s", check, message)
    return VerificationError(check, message)


def show(value: object) -> str:
    """A short, escaped rendering of an untrusted value, safe for one log line."""
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


class StorageError(BandCoachError):
    """A file we must keep could not be written (disk full, read-only, not ours): where, why, and the fix.

    `errno` is the cause as an errno value (ENOSPC, EROFS, EACCES...) when it is known. Built by
    `skill.files.storage_error`, which reads the cause from an OSError or a SQLite error.
    """

    def __init__(self, place: str, path: object, reason: str, fix: str, errno: int | None = None) -> None:
        super().__init__(f"{place} {path}: {reason}; {fix}")
        self.place = place
        self.path = path
        self.reason = reason
        self.fix = fix
        self.errno = errno

    def __reduce__(self) -> tuple[type[StorageError], tuple[str, object, str, str, int | None]]:
        """Pickle by the constructor's arguments, so the error crosses from a warm's worker process intact."""
        return (type(self), (self.place, self.path, self.reason, self.fix, self.errno))
