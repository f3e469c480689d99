"""Request envelopes as Alexa sends them, for tests, `bandcoach say` and plugin authors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

DEFAULT_APP_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
DEFAULT_USER_ID = "amzn1.ask.account.TESTUSER"
DEFAULT_DEVICE_ID = "amzn1.ask.device.TESTDEVICE"

SlotSpec = str | tuple[str, str | None] | None  # spoken value, or (spoken value, resolved id)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    request: dict[str, Any], *, session_attributes: dict[str, Any] | None = None, new: bool = False,
    user_id: str = DEFAULT_USER_ID, locale: str = "en-US", application_id: str = DEFAULT_APP_ID,
    session: bool = True, audio_player: dict[str, Any] | None = None, session_id: str | None = None,
) -> dict[str, Any]:
    """A whole envelope around `request`: version, session (unless `session` is false) and context."""
    request = {"requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "timestamp": now_iso(),
               "locale": locale, **request}
    system = {
        "application": {"applicationId": application_id},
        "user": {"userId": user_id},
        "device": {"deviceId": DEFAULT_DEVICE_ID, "supportedInterfaces": {"AudioPlayer": {}}},
        "apiEndpoint": "https://api.amazonalexa.com",
    }
    context: dict[str, Any] = {"System": system}
    if audio_player is not None:
        context["AudioPlayer"] = audio_player
    data: dict[str, Any] = {"version": "1.0", "context": context, "request": request}
    if session:
        data["session"] = {
            "new": new,
            "sessionId": session_id or f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": {"applicationId": application_id},
            "user": {"userId": user_id},
            "attributes": session_attributes or {},
        }
    return data


def launch_request(**kw: Any) -> dict[str, Any]:
    kw.setdefault("new", True)
    return envelope({"type": "LaunchRequest"}, **kw)


def intent_request(name: str, slots: dict[str, SlotSpec] | None = None, **kw: Any) -> dict[str, Any]:
    """An IntentRequest; each slot is a spoken value, or (spoken value, resolved id) for entity resolution."""
    return envelope({
        "type": "IntentRequest",
        "dialogState": "COMPLETED",
        "intent": {"name": name, "confirmationStatus": "NONE",
                   "slots": {k: slot(k, v) for k, v in (slots or {}).items()}},
    }, **kw)


def slot(name: str, spec: SlotSpec, *, slot_type: str | None = None) -> dict[str, Any]:
    """One slot with Alexa's entity-resolution block (match or no match)."""
    if spec is None:
        return {"name": name, "confirmationStatus": "NONE"}
    value, resolved = spec if isinstance(spec, tuple) else (spec, None)
    data: dict[str, Any] = {"name": name, "value": value, "confirmationStatus": "NONE"}
    if isinstance(spec, tuple):
        authority = f"amzn1.er-authority.echo-sdk.{DEFAULT_APP_ID}.{slot_type or name.upper()}"
        status = "ER_SUCCESS_MATCH" if resolved else "ER_SUCCESS_NO_MATCH"
        entry: dict[str, Any] = {"authority": authority, "status": {"code": status}}
        if resolved:
            entry["values"] = [{"value": {"name": value, "id": resolved}}]
        data["resolutions"] = {"resolutionsPerAuthority": [entry]}
    return data


def session_ended_request(reason: str = "USER_INITIATED", **kw: Any) -> dict[str, Any]:
    return envelope({"type": "SessionEndedRequest", "reason": reason}, **kw)


def audio_player_request(kind: str, token: str | None = None, offset_ms: int = 0, **kw: Any) -> dict[str, Any]:
    """AudioPlayer.<kind> (PlaybackStarted, PlaybackNearlyFinished...), sent without a session."""
    request: dict[str, Any] = {"type": f"AudioPlayer.{kind}", "offsetInMilliseconds": offset_ms}
    if token is not None:
        request["token"] = token
    if kind == "PlaybackFailed":
        request["error"] = {"type": "MEDIA_ERROR_UNKNOWN", "message": "test failure"}
    kw.setdefault("session", False)
    player = {"playerActivity": "PLAYING", "offsetInMilliseconds": offset_ms}
    if token is not None:
        player["token"] = token
    kw.setdefault("audio_player", player)
    return envelope(request, **kw)


def playback_controller_request(command: str, **kw: Any) -> dict[str, Any]:
    """PlaybackController.<command>CommandIssued (Play, Pause, Next, Previous), a device button press."""
    kw.setdefault("session", False)
    return envelope({"type": f"PlaybackController.{command}CommandIssued"}, **kw)
