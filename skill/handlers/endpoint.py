"""One request envelope in, one response envelope out: parsing, limits, ask-sdk dispatch, serialising.

Shared by POST /alexa, the Lambda entry point and `bandcoach say`, so every front door behaves alike.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope, Response, ResponseEnvelope
from ask_sdk_model.request import Request

from skill import ssml
from skill.config import SKILL_ID_MISSING
from skill.errors import BadRequest, VerificationError, reject, show
from skill.handlers.serializer import EnvelopeSerializer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 128 * 1024
MAX_DEPTH = 32
MAX_RESPONSE_BYTES = 24 * 1024  # Alexa: "the total size of your response cannot exceed 24 kilobytes"
MIN_SPEECH_CHARS = 200  # speech is never trimmed below this; past it, what else is large goes instead
MAX_INTENT_NAME = 200  # Alexa's intent names are at most 100 characters
KNOWN_REQUEST_TYPES = frozenset(Request.discriminator_value_class_map)
_NAMED_INTENT_REQUESTS = frozenset({"IntentRequest", "CanFulfillIntentRequest"})
_ENVELOPE = "ask_sdk_model.request_envelope.RequestEnvelope"
# What ask-sdk's deserialiser raises on hostile envelopes: OverflowError from int(1e400) or dateutil's years.
_UNREADABLE = (SerializationException, ValueError, TypeError, AttributeError, OverflowError)


class NonFiniteNumber(ValueError):
    """NaN, Infinity or a number too large for a float: not JSON (RFC 8259), though Python's parser takes them."""


def _no_constant(name: str) -> float:
    raise NonFiniteNumber(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 parses to inf without ever reaching parse_constant
        raise NonFiniteNumber(f"{text[:20]} is too large for a number")
    return number


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object in a request body; anything too big, malformed, deep or not an object is refused.

    Strict JSON: NaN, Infinity and numbers beyond a float's range are refused here, so they never reach a
    handler, an int() or a session attribute echoed back (which would make the response invalid JSON).
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"request body is over {MAX_BODY_BYTES // 1024} KiB")
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except NonFiniteNumber as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
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


def _finite(value: Any) -> bool:
    """Whether no float anywhere in `value` is NaN or infinite (walked without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _strict(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None (null), for an answer that must be JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strict(item) for item in value]
    return value


def response_size(data: dict[str, Any]) -> int:
    """The bytes of `data` as JSON the way either door could send it at its largest: ASCII with \\u escapes
    (Flask's and Lambda's default) and spaced separators. ValueError if it holds NaN or Infinity."""
    return len(json.dumps(data, allow_nan=False))


def _speeches(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The outputSpeech objects of a response envelope (the answer's and the reprompt's), longest first."""
    body = data.get("response")
    if not isinstance(body, dict):
        return []
    reprompt = body.get("reprompt")
    found = [body.get("outputSpeech"), reprompt.get("outputSpeech") if isinstance(reprompt, dict) else None]
    speeches = [s for s in found if isinstance(s, dict) and isinstance(s.get("ssml") or s.get("text"), str)]
    return sorted(speeches, key=lambda s: -len(s.get("ssml") or s.get("text") or ""))


def within_limits(data: dict[str, Any]) -> dict[str, Any]:
    """A response envelope as Alexa accepts it: strict JSON, at most MAX_RESPONSE_BYTES; never raises.

    NaN or Infinity (a bug: requests holding them are refused) become null. An answer too large has its
    speech trimmed first, longest speech first and each at a tag and a word (`ssml.shorten`), down to
    MIN_SPEECH_CHARS; then its session attributes go (a handler echoing a huge session back); and if even
    that is not enough, the answer is the empty response every request type accepts. Each step is logged.
    """
    try:
        size = response_size(data)
    except ValueError:
        logger.error("a response held NaN or Infinity; they were sent as null")
        data = _strict(data)
        size = response_size(data)
    if size <= MAX_RESPONSE_BYTES:
        return data
    logger.warning("a response of %d bytes is over Alexa's %d; trimming it", size, MAX_RESPONSE_BYTES)
    for speech in _speeches(data):
        key = "ssml" if isinstance(speech.get("ssml"), str) else "text"
        text: str = speech[key]
        keep = max(MIN_SPEECH_CHARS, len(text) - (size - MAX_RESPONSE_BYTES))  # a character is a byte or more
        speech[key] = ssml.shorten(text, keep) if key == "ssml" else text[:keep]
        size = response_size(data)
        if size <= MAX_RESPONSE_BYTES:
            return data
    if data.get("sessionAttributes"):
        logger.warning("session attributes dropped from a response still over %d bytes", MAX_RESPONSE_BYTES)
        data["sessionAttributes"] = {}
        if response_size(data) <= MAX_RESPONSE_BYTES:
            return data
    logger.error("a response still over %d bytes was replaced by an empty one", MAX_RESPONSE_BYTES)
    return {"version": "1.0", "response": {}}


class SkillEndpoint:
    """Runs envelopes through an ask-sdk skill with ask-sdk's (de)serialiser (memoised: skill.handlers.serializer)."""

    def __init__(self, skill: CustomSkill) -> None:
        self.skill = skill
        self.serializer = EnvelopeSerializer()

    def handle(self, envelope: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
        """Answer one parsed envelope; malformed envelopes raise BadRequest, unknown types get no words.

        `strict` says the envelope came from `parse_body`, which refuses non-finite numbers; otherwise (the
        Lambda door, whose event the runtime parsed) they are looked for here. The answer is strict JSON
        within Alexa's size limit (`within_limits`).
        """
        request = envelope.get("request")
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            raise BadRequest("envelope has no request with a type")
        if not strict and not _finite(envelope):
            raise BadRequest("envelope holds NaN or Infinity, which are not JSON numbers")
        if request["type"] not in KNOWN_REQUEST_TYPES:
            logger.info("unknown request type %r: answered with an empty response", request["type"][:100])
            return self._serialize(ResponseEnvelope(version="1.0", response=Response()))
        context = envelope.get("context")
        if not isinstance(context, dict) or not isinstance(context.get("System"), dict):
            # Alexa always sends it; ask-sdk reads context.System before any handler runs.
            raise BadRequest("envelope has no context.System")
        if request["type"] in _NAMED_INTENT_REQUESTS:
            intent = request.get("intent")
            name = intent.get("name") if isinstance(intent, dict) else None
            if not isinstance(name, str) or not 0 < len(name) <= MAX_INTENT_NAME:
                # Alexa always names the intent; every intent handler reads the name, so refuse it here.
                raise BadRequest(f"{request['type']} has no intent with a name")
        response = self.skill.invoke(request_envelope=self._deserialize(envelope), context=None)
        return within_limits(self._serialize(response))

    def _serialize(self, response: ResponseEnvelope) -> dict[str, Any]:
        """The response envelope as plain JSON data."""
        # ask-sdk types serialize() for any value; a model object always becomes a dict of its attributes.
        return cast(dict[str, Any], self.serializer.serialize(response))

    def _deserialize(self, envelope: dict[str, Any]) -> RequestEnvelope:
        """ask-sdk's model of the parsed envelope (read once, not re-serialised and parsed again); a context we
        cannot read is narrowed to its System part."""
        try:
            model: RequestEnvelope = self.serializer.read(envelope, _ENVELOPE)
            return model
        except _UNREADABLE as exc:
            first = exc
        context = envelope.get("context")
        if isinstance(context, dict) and set(context) - {"System"}:
            narrowed = {**envelope, "context": {"System": context.get("System", {})}}
            try:
                parsed: RequestEnvelope = self.serializer.read(narrowed, _ENVELOPE)
            except _UNREADABLE:
                pass
            else:
                logger.warning("ignored unreadable context interfaces: %s", str(first)[:200])
                return parsed
        raise BadRequest(f"not a valid Alexa request envelope: {str(first)[:200]}")


def check_application_id(envelope: Mapping[str, Any], allowed: Sequence[str], *, required: bool = False) -> None:
    """Raise VerificationError("application_id") unless every applicationId in the envelope is allowed.

    The ids are read from context.System.application and session.application. With no configured
    ids (`allowed` empty) every request passes, unless `required` (the web door with verification
    on, and no BANDCOACH_ALLOW_ANY_SKILL): then every request is refused, naming the setting.
    """
    if not allowed:
        if required:  # said once at start-up and by /healthz: no log line per refused request
            raise VerificationError("application_id", SKILL_ID_MISSING)
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
