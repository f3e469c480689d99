"""Every SSML string the skill can say: real handler responses for every block, and every fixed prompt."""

from __future__ import annotations

import inspect
import itertools
import json
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from flask import Flask

from skill import plan, prompts, ssml, testing
from skill.catalog import Catalog
from skill.config import LOCALES
from skill.handlers.base import place_attributes
from skill.progression import Change
from skill.routines import BandLevel, Dose, Exercise, Place, Routine, RoutineKind, Variant

ENVELOPES = Path(__file__).parents[1] / "envelopes"
MAX_COMBINATIONS = 400  # beyond this many argument combinations a prompt is sampled, not multiplied out
# What runners might say that we echo back: plain, with XML metacharacters, and over-long.
# Handler requests carry no user id, so the state store stays out of the loop (a disk write per
# request would make this slow); the sentences that memory adds are prompts, enumerated below.
NO_USER = ""
HEARD = ("post run yoga", 'rock & roll <loud> "stretch"', "a " * 120 + "very long routine name")
IN_WORKOUT = ("TimeLeftIntent", "WhatsNextIntent", "TakeABreakIntent", "FinishWorkoutIntent", "BandPlacementIntent",
              "DoseIntent")


@dataclass(frozen=True, slots=True)
class Sample:
    """One SSML string, where it came from, and the locale it is spoken in."""

    where: str
    locale: str
    ssml: str


def corpus(app: Flask, catalog: Catalog) -> list[Sample]:
    """Every distinct (locale, SSML) the skill produces, handlers first, then fixed prompts."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for sample in itertools.chain(handler_samples(app, catalog), prompt_samples(catalog)):
        if (sample.locale, sample.ssml) not in seen:
            seen.add((sample.locale, sample.ssml))
            unique.append(sample)
    return unique


def write_corpus(samples: list[Sample], path: Path) -> Path:
    """The corpus as the JSON list tests/e2e/ssml_check.js reads."""
    path.write_text(json.dumps([{"where": s.where, "locale": s.locale, "ssml": s.ssml} for s in samples]))
    return path


# --- real handlers, through the Flask test client -------------------------------------------------

def handler_samples(app: Flask, catalog: Catalog) -> Iterator[Sample]:
    """Drive the real handlers: every routine x band x variant x locale, started and then every block."""
    client = app.test_client()

    def post(where: str, envelope: dict[str, Any], locale: str) -> dict[str, Any]:
        reply = client.post("/alexa", data=json.dumps(envelope), content_type="application/json")
        if reply.status_code != 200:
            raise AssertionError(f"{where}: HTTP {reply.status_code}: {reply.get_data(as_text=True)[:300]}")
        data = reply.get_json()
        for ssml_text in _speech(data):
            yield Sample(where, locale, ssml_text)
        return data

    for locale in LOCALES:
        for routine, band, variant in itertools.product(catalog.routines.values(), BandLevel, Variant):
            where = f"{locale} {routine.id} {band.value} {variant.value}"
            data = yield from post(f"{where} start", _start(catalog, routine, band, variant, locale), locale)
            started = (data.get("sessionAttributes") or {}).get("position", {})
            blocks = len(catalog.timeline(routine.id, band=band, variant=variant).blocks)
            finished = blocks == 1 and data["response"].get("shouldEndSession") is True  # one answer is all of it
            if not finished and (started.get("variant") != variant.value or started.get("band") != band.value):
                raise AssertionError(f"{where}: StartRoutineIntent gave {started}: the length slot no longer "
                                     "selects this variant; fix _start's length words")
            for block, extra in itertools.product(range(blocks), (0, 2)):
                pos = Place(routine.id, variant, band, extra, block)
                yield from post(f"{where} block {block + 1} +{extra} sets",
                                _in_routine("AMAZON.RepeatIntent", pos, locale), locale)
            for intent in ("AMAZON.PreviousIntent", "AMAZON.StartOverIntent", "AMAZON.PauseIntent",
                           "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.FallbackIntent"):
                block = 0 if intent == "AMAZON.PreviousIntent" else min(1, blocks - 1)  # "that's the first"
                pos = Place(routine.id, variant, band, 0, block)
                yield from post(f"{where} {intent}", _in_routine(intent, pos, locale), locale)
        for routine in catalog.routines.values():  # the in-workout requests, at the first and the last block
            blocks = len(catalog.timeline(routine.id).blocks)
            for intent, block in itertools.product(IN_WORKOUT, sorted({0, blocks - 1})):
                pos = Place(routine.id, Variant.STANDARD, routine.band, 0, block)
                yield from post(f"{locale} {routine.id} {intent} block {block + 1}", _in_routine(intent, pos, locale),
                                locale)
        for intent in IN_WORKOUT:  # outside any workout
            envelope = testing.intent_request(intent, locale=locale, new=True, user_id=NO_USER)
            yield from post(f"{locale} {intent} outside a workout", envelope, locale)
        unknown_band = testing.intent_request("StartRoutineIntent", {"routine": "desk", "band": "purple"},
                                              locale=locale, new=True, user_id=NO_USER)
        yield from post(f"{locale} unknown band", unknown_band, locale)
        for heard in HEARD:
            for intent, slot in (("StartRoutineIntent", "routine"), ("DescribeExerciseIntent", "exercise")):
                envelope = testing.intent_request(intent, {slot: heard}, locale=locale, new=True, user_id=NO_USER)
                yield from post(f"{locale} {intent} {heard[:20]!r}", envelope, locale)
        for exercise in catalog.exercises.values():
            envelope = testing.intent_request("DescribeExerciseIntent", {"exercise": (exercise.name, exercise.id)},
                                              locale=locale, new=True, user_id=NO_USER)
            yield from post(f"{locale} describe {exercise.id}", envelope, locale)
    for path in sorted(ENVELOPES.glob("*.json")):
        envelope = json.loads(path.read_text())
        yield from post(f"envelope {path.name}", envelope, envelope.get("request", {}).get("locale", "en-US"))


_LENGTH_WORDS = {Variant.SHORT: ("short", "quick"), Variant.LONG: ("long", "long")}  # the length slot per variant


def _start(catalog: Catalog, routine: Routine, band: BandLevel, variant: Variant, locale: str) -> dict[str, Any]:
    slots: dict[str, testing.SlotSpec] = {"routine": (routine.name.lower(), routine.id),
                                          "band": (band.value, band.value)}
    if variant is not Variant.STANDARD:
        slots["length"] = _LENGTH_WORDS[variant]
    return testing.intent_request("StartRoutineIntent", slots, locale=locale, new=True, user_id=NO_USER)


def _in_routine(intent: str, pos: Place, locale: str) -> dict[str, Any]:
    return testing.intent_request(intent, locale=locale, session_attributes=place_attributes(pos), user_id=NO_USER)


def _speech(data: dict[str, Any]) -> list[str]:
    body = data.get("response") or {}
    found = [body.get("outputSpeech"), (body.get("reprompt") or {}).get("outputSpeech")]
    return [s["ssml"] for s in found if s and s.get("type") == "SSML"]


# --- every fixed prompt, found by reflection -------------------------------------------------------

def prompt_functions() -> dict[str, Callable[..., Any]]:
    """Every public function of skill.prompts that returns text: new prompts are covered automatically."""
    return {name: fn for name, fn in inspect.getmembers(prompts, inspect.isfunction)
            if fn.__module__ == prompts.__name__ and not name.startswith("_")
            and typing.get_type_hints(fn).get("return") is str}


def prompt_samples(catalog: Catalog) -> Iterator[Sample]:
    """Each prompt called with realistic arguments from the catalog, rendered by ssml.speak (locale-free)."""
    for name, fn in prompt_functions().items():
        for args in argument_sets(fn, catalog):
            text = fn(**args)
            shown = ", ".join(f"{k}={_label(v)}" for k, v in args.items())
            yield Sample(f"prompts.{name}({shown})", "en-US", ssml.speak(text))


def argument_sets(fn: Callable[..., Any], catalog: Catalog) -> list[dict[str, Any]]:
    """Argument combinations for `fn`: every combination, or a cycling sample when there are too many."""
    hints = typing.get_type_hints(fn)
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.default is inspect.Parameter.empty or p.name in hints]
    choices = {p.name: candidates(fn.__name__, p.name, hints.get(p.name), catalog) for p in params}
    names = list(choices)
    total = 1
    for values in choices.values():
        total *= len(values)
    if total <= MAX_COMBINATIONS:
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices.values())]
    longest = max(len(v) for v in choices.values())
    return [{n: choices[n][i % len(choices[n])] for n in names} for i in range(longest)]


def candidates(function: str, name: str, hint: Any, catalog: Catalog) -> list[Any]:
    """Realistic values for one parameter, by its type (and, for plain text, its name)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return [*candidates(function, name, options[0], catalog), None]
    by_type: dict[Any, list[Any]] = {
        Catalog: [catalog],
        Exercise: list(catalog.exercises.values()),
        Routine: list(catalog.routines.values()),
        Variant: list(Variant),
        BandLevel: list(BandLevel),
        RoutineKind: list(RoutineKind),
        Change: list(Change),
        float: [45.0, 540.0, 1230.0],
        int: [0, 1, 3, 12],
        bool: [True, False],
        list[str]: [[], [r.name for r in catalog.routines.values()]],
        dict[str, str]: [{}, {r.name: r.band.value for r in catalog.routines.values()}],
        Dose: _doses(catalog),
        plan.WeekPlan: _weeks(catalog),
        plan.Day: [day for week in _weeks(catalog) for day in week.days],
        tuple[plan.WeeklyReminder, ...]: [*map(plan.reminders_for, _weeks(catalog)),
                                          (plan.WeeklyReminder("", (0, 3), time(7, 30)),)],
        time: [time(18, 0), time(7, 30), time(0, 0), time(12, 5)],
    }
    if hint is str:
        return list(_TEXT.get(name, lambda c: HEARD)(catalog))
    if hint in by_type:
        return by_type[hint]
    raise TypeError(f"prompts.{function}: no sample values for parameter {name!r} of type {hint!r}; "
                    "fix: teach tests/support/ssml_corpus.py candidates() about it")


_TEXT: dict[str, Callable[[Catalog], list[str]]] = {
    "band": lambda c: sorted(c.band_names),
    "routine": lambda c: [r.name for r in c.routines.values()],
    "feature": lambda c: ["shuffle", "loop"],
    "word": lambda c: ["and", "or"],
}


def _weeks(catalog: Catalog) -> list[plan.WeekPlan]:
    """Week plans around a few sets of run days: three, two, every day, all but Sunday, and none."""
    return [plan.plan_week(days, catalog.routines) for days in ({0, 2, 5}, {1, 3}, set(range(7)), set(range(6)), set())]


def _doses(catalog: Catalog) -> list[Dose]:
    """Every distinct dose the routines ask for (reps and holds, sets, per side), at every length."""
    found = {b.dose: None for r in catalog.routines for v in Variant for b in catalog.timeline(r, variant=v).blocks}
    return list(found)


def _label(value: Any) -> str:
    if isinstance(value, Exercise | Routine):
        return value.id
    if isinstance(value, Catalog):
        return "catalog"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
