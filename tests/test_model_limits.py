"""Alexa's interaction-model rules and limits: every rule is reported, naming the intent, sample or value."""

from __future__ import annotations

from typing import Any

import pytest

from skill.model_limits import MAX_INTENTS, MAX_SAMPLE_CHARS, MAX_SLOT_VALUE_CHARS, problems


def model(intents: list[dict[str, Any]], types: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"interactionModel": {"languageModel": {"invocationName": "band coach", "intents": intents,
                                                   "types": types or []}}}


def intent(name: str, *samples: str, slots: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"name": name, "samples": list(samples), "slots": [{"name": s, "type": "ROUTINE"} for s in slots]}


def test_a_model_within_the_rules_has_no_problems() -> None:
    assert problems(model([intent("StartRoutineIntent", "start the {routine}", "give me a {routine} please",
                                  slots=("routine",))])) == []


@pytest.mark.parametrize(("sample", "why"), [
    ("start 5 minutes", "words Alexa rejects"),
    ("start the stretch!", "words Alexa rejects"),
    ("Start the stretch", "words Alexa rejects"),
    ("start  the stretch", "spacing"),
    ("start {routine}'s stretch", "words Alexa rejects"),
    ("do the {band}", "does not declare"),
    ("{routine} {routine}", "uses a slot twice"),
    ("start {routine} {minutes}", "side by side"),
    ("x " * (MAX_SAMPLE_CHARS // 2 + 1), "characters"),
    ("for a {routine}", "connecting word"),
    ("to start the {routine}", "connecting word"),
    ("that {routine} hurts", "connecting word"),
])
def test_a_sample_breaking_a_rule_is_named_with_the_rule(sample: str, why: str) -> None:
    found = problems(model([intent("StartRoutineIntent", sample.strip() if why != "spacing" else sample,
                                   slots=("routine", "minutes"))]))
    assert found and why in found[0] and "StartRoutineIntent" in found[0]


def test_an_in_session_intent_may_start_with_that() -> None:
    assert problems(model([intent("PainIntent", "that hurts")])) == []


def test_a_sample_in_two_intents_is_reported() -> None:
    found = problems(model([intent("AIntent", "go on"), intent("BIntent", "go on")]))
    assert found == ["sample 'go on' belongs to AIntent and BIntent: one sample, one intent"]


def test_too_many_intents_are_reported() -> None:
    found = problems(model([intent(f"Intent{n}", f"say {chr(97 + n % 26)} {n // 26}") for n in range(MAX_INTENTS + 1)]))
    assert any("intents, over" in p for p in found)


def test_a_slot_value_too_long_or_naming_two_ids_is_reported() -> None:
    types = [{"name": "ROUTINE", "values": [
        {"id": "desk", "name": {"value": "d" * (MAX_SLOT_VALUE_CHARS + 1), "synonyms": ["office"]}},
        {"id": "glutes", "name": {"value": "glutes", "synonyms": ["office"]}}]}]
    found = problems(model([], types))
    assert any("over 140 characters" in p for p in found)
    assert any("'office' names both 'desk' and 'glutes'" in p for p in found)


def test_an_oversized_model_is_reported() -> None:
    samples = [f"say {'word ' * 20}{n}".strip() for n in range(20_000)]
    assert any("bytes, over" in p for p in problems(model([intent("BigIntent", *samples)])))
