"""The BandCoachError hierarchy: messages are shown to users and say how to fix the problem."""

from __future__ import annotations


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
