"""One request envelope in, one response envelope out: parsing, limits, ask-sdk dispatch, serialising.

Shared by POST /alexa, the Lambda entry point and `bandcoach say`, so every front door behaves alike.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope, Response, ResponseEnvelope
from ask_sdk_model.request import Request

from skill.errors import BadRequest, reject, show
from skill.handlers.serializer import EnvelopeSerializer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 128 * 1024
MAX_DEPTH = 32
KNOWN_REQUEST_TYPES = frozenset(Request.discriminator_value_class_map)
_ENVELOPE = "ask_sdk_model.request_envelope.RequestEnvelope"


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object in a request body; anything too big, malformed, deep or not an object is refused."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"request body is over {MAX_BODY_BYTES // 1024} KiB")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"request body is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object (an Alexa request envelope)")
    # Nesting can be no deeper than the number of brackets: count them at C speed before walking.
    if body.count(b"{") + body.count(b"[") > MAX_DEPTH and _depth(data) > MAX_DEPTH:
        raise BadRequest(f"request body is nested deeper than {MAX_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    """How deeply containers nest, measured without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item if isinstance(v, dict | list))
    return deepest


class SkillEndpoint:
    """Runs envelopes through an ask-sdk skill with ask-sdk's (de)serialiser (memoised: skill.handlers.serializer)."""

    def __init__(self, skill: CustomSkill) -> None:
        self.skill = skill
        self.serializer = EnvelopeSerializer()

    def handle(self, envelope: dict[str, Any], *, raw: str | None = None) -> dict[str, Any]:
        """Answer one parsed envelope; malformed envelopes raise BadRequest, unknown types get no words.

        `raw` is the envelope's JSON text when the caller has it (saves serialising it again).
        """
        request = envelope.get("request")
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            raise BadRequest("envelope has no request with a type")
        if request["type"] not in KNOWN_REQUEST_TYPES:
            logger.info("unknown request type %r: answered with an empty response", request["type"][:100])
            return self._serialize(ResponseEnvelope(version="1.0", response=Response()))
        context = envelope.get("context")
        if not isinstance(context, dict) or not isinstance(context.get("System"), dict):
            # Alexa always sends it; ask-sdk reads context.System before any handler runs.
            raise BadRequest("envelope has no context.System")
        response = self.skill.invoke(request_envelope=self._deserialize(envelope, raw), context=None)
        return self._serialize(response)

    def _serialize(self, response: ResponseEnvelope) -> dict[str, Any]:
        """The response envelope as plain JSON data."""
        # ask-sdk types serialize() for any value; a model object always becomes a dict of its attributes.
        return cast(dict[str, Any], self.serializer.serialize(response))

    def _deserialize(self, envelope: dict[str, Any], raw: str | None = None) -> RequestEnvelope:
        """ask-sdk's model of the envelope; a context we cannot read is narrowed to its System part."""
        try:
            model: RequestEnvelope = self.serializer.deserialize(raw or json.dumps(envelope), _ENVELOPE)
            return model
        except (SerializationException, ValueError, TypeError, AttributeError) as exc:
            first = exc
        context = envelope.get("context")
        if isinstance(context, dict) and set(context) - {"System"}:
            narrowed = {**envelope, "context": {"System": context.get("System", {})}}
            try:
                parsed: RequestEnvelope = self.serializer.deserialize(json.dumps(narrowed), _ENVELOPE)
            except (SerializationException, ValueError, TypeError, AttributeError):
                pass
            else:
                logger.warning("ignored unreadable context interfaces: %s", str(first)[:200])
                return parsed
        raise BadRequest(f"not a valid Alexa request envelope: {str(first)[:200]}")


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
