"""What every handler shares: its dependencies, slot reading, the coaching position, and replies."""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Any, cast

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Response
from ask_sdk_model.intent_request import IntentRequest

from skill import playback, prompts, ssml
from skill.catalog import Catalog
from skill.config import LOCALES, Settings
from skill.handlers.voice import Voice
from skill.routines import BANDS_BY_VALUE, VARIANTS_BY_VALUE, Place
from skill.segments import SegmentSource
from skill.state import Store, load_secret

logger = logging.getLogger(__name__)

MAX_SLOT_CHARS = 200  # longer slot values are cut before we look at them


@dataclass(frozen=True, slots=True)
class Deps:
    """What handlers need, passed in by build_skill (no module globals)."""

    catalog: Catalog
    settings: Settings
    segments: SegmentSource  # where recorded segments are found (the local cache or the published S3 index)
    store: Store | None = None  # None keeps everything in the session
    speech: Voice | None = None  # the recorded voice, when a public HTTPS audio URL is set
    token_key: bytes = b""  # seals hands-free tokens (skill.playback); empty: derived from the settings' secret

    def __post_init__(self) -> None:
        # Derived here so the composition root needs no change: the same secret the store hashes user ids
        # with (BANDCOACH_SECRET, or the generated file make_store already created), under its own label.
        if not self.token_key:
            object.__setattr__(self, "token_key", playback.token_key(load_secret(self.settings)))


_PLACE_FIELDS = ("routine", "variant", "band", "extra_sets", "block", "started", "minutes")
MAX_SESSION_COUNT = 10**6  # a block, extra sets or minutes above this is tampering; smaller ones are clamped
_DIGITS = re.compile(r"-?[0-9]{1,12}")


def whole(value: object, limit: int) -> int:
    """An attribute's number as an int within ±`limit`: ints, integral finite floats and short decimal strings.

    ValueError for anything else (booleans, NaN, infinities, 1e300, "12abc"), so no number of any size
    reaches int(), a Place, a datetime or the store.
    """
    if (isinstance(value, float) and math.isfinite(value) and value.is_integer()) \
            or (isinstance(value, str) and _DIGITS.fullmatch(value)):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > limit:
        raise ValueError(f"not a whole number within {limit}: {str(value)[:20]!r}")
    return value


def plausible_start(started: int, now: float | None = None) -> bool:
    """Whether `started` (epoch seconds) can be a workout's start: 0 (unknown, an older session's place) or
    within playback's token window of `now` (a session lasts minutes, a resume offer a day)."""
    clock = time.time() if now is None else now
    return started == 0 or clock - playback.MAX_TOKEN_AGE <= started <= clock + playback.CLOCK_SKEW


def place_from_attributes(attrs: dict[str, Any] | None, catalog: Catalog, *, now: float | None = None) -> Place | None:
    """The place kept in session attributes, clamped, or None when absent or not trustworthy.

    Every field is checked here, at the boundary: text by its vocabulary, counts by `whole`, the start by
    `plausible_start`; the catalog then drops an unknown routine and clamps block, extra sets and minutes.
    """
    data = (attrs or {}).get("position")
    if not isinstance(data, dict):
        return None
    try:
        routine, started = data["routine"], whole(data.get("started", 0), 2**40)
        if not isinstance(routine, str) or len(routine) > 64 or not plausible_start(started, now):
            raise ValueError("not a routine id, or a start time out of range")
        place = Place(routine, VARIANTS_BY_VALUE[data["variant"]], BANDS_BY_VALUE[data["band"]],
                      whole(data.get("extra_sets", 0), MAX_SESSION_COUNT), whole(data["block"], MAX_SESSION_COUNT),
                      started, whole(data.get("minutes", 0), MAX_SESSION_COUNT))
    except (KeyError, ValueError, TypeError):
        logger.warning("ignoring a malformed position in session attributes")
        return None
    return catalog.clamped(place)


def place_attributes(place: Place) -> dict[str, Any]:
    """The session attributes that carry `place` (plain JSON values) across turns."""
    # Built field by field: dataclasses.asdict deep-copies and cost ~35 µs a request.
    data = {name: getattr(place, name) for name in _PLACE_FIELDS}
    data["band"], data["variant"] = place.band.value, place.variant.value
    return {"position": data}


class Handler(AbstractRequestHandler):
    """A request handler that receives its dependencies through the constructor."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def catalog(self) -> Catalog:
        return self.deps.catalog


def locale_of(handler_input: HandlerInput) -> str:
    """The request's locale when we have a model for it, else en-US."""
    loc = getattr(handler_input.request_envelope.request, "locale", None)
    return loc if loc in LOCALES else "en-US"


def slot(handler_input: HandlerInput, name: str) -> tuple[str | None, str | None]:
    """A slot's spoken value and, when entity resolution matched, its canonical id."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None or not request.intent.slots:
        return None, None
    found = request.intent.slots.get(name)
    if found is None:
        return None, None
    value = found.value if isinstance(found.value, str) else None
    value = value[:MAX_SLOT_CHARS] if value else None
    resolved = None
    for authority in getattr(found.resolutions, "resolutions_per_authority", None) or []:
        code = getattr(getattr(authority.status, "code", None), "value", None)
        if code == "ER_SUCCESS_MATCH" and authority.values:
            resolved = getattr(authority.values[0].value, "id", None)
            break
    return value, resolved if isinstance(resolved, str) else None


def session_attributes(handler_input: HandlerInput) -> dict[str, Any]:
    """Session attributes, tolerant of sessions that carry none or a wrong type."""
    session = handler_input.request_envelope.session
    attrs = getattr(session, "attributes", None)
    return attrs if isinstance(attrs, dict) else {}


_POSITION_KEY = "bandcoach.session_position"  # request attribute: the session's position, parsed once


def session_position(handler_input: HandlerInput, catalog: Catalog) -> Place | None:
    """The position in the request's session attributes, parsed and clamped once per request.

    Several handlers' `can_handle` and then the chosen `handle` ask for it; the envelope's
    attributes do not change while the request is answered, so the first answer stands.
    """
    cache = handler_input.attributes_manager.request_attributes
    if _POSITION_KEY not in cache:
        cache[_POSITION_KEY] = place_from_attributes(session_attributes(handler_input), catalog)
    found = cache[_POSITION_KEY]
    return found if isinstance(found, Place) else None


def request_type(handler_input: HandlerInput) -> str:
    """The request's type, such as "IntentRequest" or "AudioPlayer.PlaybackStarted"."""
    # ask-sdk annotates get_request_type as returning AnyStr (str | bytes); it is the request model's str object_type.
    return cast(str, get_request_type(handler_input))


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name for an IntentRequest, else None: one lookup to test against many names."""
    request = handler_input.request_envelope.request
    return request.intent.name if isinstance(request, IntentRequest) and request.intent else None


def reply(
    handler_input: HandlerInput, speech: str, *, reprompt: str | None = None, end: bool | None = None,
    attributes: dict[str, Any] | None = None,
) -> Response:
    """Speak SSML, optionally reprompt, keep or end the session, and set session attributes."""
    builder = handler_input.response_builder.speak(speech)
    if reprompt:
        builder.ask(reprompt)
    if end is not None and not reprompt:
        builder.set_should_end_session(end)
    if handler_input.request_envelope.session is not None:  # one-shot requests may come without one
        handler_input.attributes_manager.session_attributes = attributes or {}
    elif attributes:
        logger.info("no session to keep attributes in; the position lives in the state store only")
    return builder.response


def say(handler_input: HandlerInput, text: str, *, reprompt: str | None = None,
        end: bool | None = None, attributes: dict[str, Any] | None = None) -> Response:
    """Plain sentences (escaped by the SSML module) as a reply."""
    return reply(handler_input, ssml.speak(text), reprompt=ssml.speak(reprompt) if reprompt else None,
                 end=end, attributes=attributes)


BLOCK_DONE = "block_done"  # session attribute: the runner has heard the whole of the current block


def block_done(handler_input: HandlerInput) -> bool:
    """Whether the session's current block was coached to its end (not paused or merely offered since)."""
    return session_attributes(handler_input).get(BLOCK_DONE) is True


def kept_attributes(handler_input: HandlerInput, catalog: Catalog) -> dict[str, Any]:
    """Session attributes that keep an ongoing routine's position across a side question."""
    pos = session_position(handler_input, catalog)
    if pos is None:
        return {}
    attrs = place_attributes(pos)
    if block_done(handler_input):  # a side question does not undo having done the block
        attrs[BLOCK_DONE] = True
    return attrs


def carry_on(catalog: Catalog, pos: Place, done: bool) -> Place:
    """Where resuming starts: the block after `pos` when its whole block was done, else `pos` itself."""
    return pos.at(pos.block + 1) if done and not catalog.is_last(pos) else pos


def ask_which_routine(handler_input: HandlerInput, catalog: Catalog, text: str) -> Response:
    return say(handler_input, text, reprompt=prompts.welcome_reprompt(catalog))
