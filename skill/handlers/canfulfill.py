"""CanFulfillIntentRequest: say YES only for what Band Coach can really do."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentRequest,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)

from skill import needs
from skill.handlers.base import MAX_SLOT_CHARS, Handler
from skill.handlers.routine import parse_minutes

# Our intents and the slots each declares; a slot an intent does not declare cannot be fulfilled.
_ASK_BY_NEED = ("routine", "band", "minutes", "focus", "equipment", "length")
_SLOT_CHECKS = {
    "StartRoutineIntent": _ASK_BY_NEED,
    "PlayRoutineIntent": _ASK_BY_NEED,
    "DescribeExerciseIntent": ("exercise",),
    "ListRoutinesIntent": (),
}  # the in-workout intents (time left, what's next, ...) need a workout already going: never name-free


class CanFulfillIntentRequestHandler(Handler):
    """Name-free discovery: can this skill handle the intent with these slot values?"""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("CanFulfillIntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        intent = request.intent if isinstance(request, CanFulfillIntentRequest) else None
        name = getattr(intent, "name", None)
        slots = getattr(intent, "slots", None) or {}
        if name not in _SLOT_CHECKS:
            verdict = CanFulfillIntent(can_fulfill=CanFulfillIntentValues.NO, slots={})
        else:
            judged = {slot_name: self._judge(slot_name, getattr(slot, "value", None), _SLOT_CHECKS[name])
                      for slot_name, slot in slots.items()}
            ok = all(s.can_fulfill == CanFulfillSlotValues.YES for s in judged.values())
            verdict = CanFulfillIntent(
                can_fulfill=CanFulfillIntentValues.YES if ok else CanFulfillIntentValues.NO, slots=judged)
        handler_input.response_builder.set_can_fulfill_intent(verdict)
        return handler_input.response_builder.response

    def _judge(self, name: str, value: object, declared: tuple[str, ...]) -> CanFulfillSlot:
        fits = name in declared and isinstance(value, str) and self._fits(name, value[:MAX_SLOT_CHARS])
        yes_no = CanFulfillSlotValues.YES if fits else CanFulfillSlotValues.NO
        understood = CanUnderstandSlotValues.YES if fits else CanUnderstandSlotValues.NO
        return CanFulfillSlot(can_understand=understood, can_fulfill=yes_no)

    def _fits(self, name: str, value: str) -> bool:
        if name == "minutes":  # the same reading StartRoutineIntent gives it
            return parse_minutes(value) is not None
        vocabulary = {"focus": needs.FOCUS, "equipment": needs.EQUIPMENT, "length": needs.LENGTH}.get(name)
        if vocabulary is not None:
            spoken = " ".join(value.lower().replace("-", " ").split())
            return any(spoken == value_id or spoken in words for value_id, words in vocabulary.items())
        find = {"routine": self.catalog.find_routine, "band": self.catalog.find_band,
                "exercise": self.catalog.find_exercise}[name]
        return find(value) is not None
