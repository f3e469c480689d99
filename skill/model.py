"""The interaction model (ASK skill-package format) built from the Catalog, for every locale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skill.catalog import Catalog
from skill.config import LOCALES

INVOCATION = "band coach"

# Our own intents: slots (name -> type) and natural samples. Slot values come from the plugins.
CUSTOM_INTENTS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "StartRoutineIntent": (
        {"routine": "ROUTINE", "band": "BAND_LEVEL", "minutes": "AMAZON.NUMBER"},
        (
            "{routine}",
            "start {routine}",
            "start the {routine}",
            "start my {routine}",
            "start the {routine} routine",
            "start my {routine} routine",
            "for a {routine}",
            "for the {routine} routine",
            "give me a {routine}",
            "let's do {routine}",
            "let's do the {routine} routine",
            "do the {routine}",
            "begin the {routine} routine",
            "i want to do the {routine}",
            "coach me through the {routine}",
            "i need a {routine}",
            "{routine} with a {band} band",
            "start {routine} with a {band} band",
            "for a {routine} with a {band} band",
            "start the {routine} routine with the {band} band",
            "for a {minutes} minute {routine}",
            "start a {minutes} minute {routine}",
            "do a {minutes} minute {routine} with a {band} band",
            "give me {minutes} minutes of {routine}",
        ),
    ),
    "PlayRoutineIntent": (
        {"routine": "ROUTINE", "band": "BAND_LEVEL", "minutes": "AMAZON.NUMBER"},
        (
            "play {routine}",
            "play my {routine}",
            "play my {routine} workout",
            "play the {routine} routine",
            "play the {routine} workout",
            "play a {minutes} minute {routine}",
            "play {routine} with a {band} band",
            "play my {routine} workout with the {band} band",
            "hands free {routine}",
            "hands free {routine} workout",
            "start {routine} hands free",
            "do the {routine} hands free",
            "run the {routine} hands free",
            "{routine} hands free",
        ),
    ),
    "ListRoutinesIntent": (
        {},
        (
            "list routines",
            "list my routines",
            "what routines do you have",
            "what routines are there",
            "which routines are there",
            "what workouts do you have",
            "what can i do",
            "what are my options",
            "tell me the routines",
            "read me the routines",
            "what can you coach",
        ),
    ),
    "ProgressIntent": (
        {},
        (
            "how am i doing",
            "what's my streak",
            "what is my streak",
            "how many workouts have i done",
            "how many workouts this week",
            "show my progress",
            "tell me my progress",
            "what's my progress",
            "how's my training going",
            "what band am i on",
            "am i improving",
        ),
    ),
    "SetBandIntent": (
        {"band": "BAND_LEVEL", "routine": "ROUTINE"},
        (
            "i'm using a {band} band now",
            "i am using a {band} band",
            "i use a {band} band",
            "i've got a {band} band",
            "set my band to {band}",
            "change my band to {band}",
            "my band is {band}",
            "switch to the {band} band",
            "i moved up to a {band} band",
            "use the {band} band for the {routine}",
            "set the {routine} band to {band}",
            "i'm using a {band} band for {routine}",
        ),
    ),
    "DescribeExerciseIntent": (
        {"exercise": "EXERCISE"},
        (
            "how do i do a {exercise}",
            "how do i do the {exercise}",
            "how do i do {exercise}",
            "explain the {exercise}",
            "explain {exercise}",
            "what is a {exercise}",
            "what's a {exercise}",
            "describe the {exercise}",
            "tell me about the {exercise}",
            "show me how to do a {exercise}",
            "teach me the {exercise}",
            "how does the {exercise} work",
        ),
    ),
}

# Amazon's built-in intents we handle, with extra samples where a runner speaks differently.
BUILTIN_INTENTS: dict[str, tuple[str, ...]] = {
    "AMAZON.NextIntent": ("next exercise", "i'm ready", "ready", "done", "move on"),
    "AMAZON.PreviousIntent": ("previous exercise", "go back one", "last exercise"),
    "AMAZON.RepeatIntent": ("say that again", "repeat the exercise", "one more time"),
    "AMAZON.StartOverIntent": ("start the routine over", "from the top"),
    "AMAZON.PauseIntent": (),
    "AMAZON.ResumeIntent": ("keep going", "carry on", "continue the routine"),
    "AMAZON.HelpIntent": (),
    "AMAZON.StopIntent": (),
    "AMAZON.CancelIntent": (),
    "AMAZON.FallbackIntent": (),
    "AMAZON.NavigateHomeIntent": (),
    "AMAZON.YesIntent": (),
    "AMAZON.NoIntent": (),
    # AudioPlayer skills must include these (hands-free answers them politely and plays on).
    "AMAZON.LoopOnIntent": (),
    "AMAZON.LoopOffIntent": (),
    "AMAZON.ShuffleOnIntent": (),
    "AMAZON.ShuffleOffIntent": (),
}


def build_model(catalog: Catalog, locale: str = "en-US") -> dict[str, Any]:
    """The interaction model for one locale: intents, samples and slot types from the plugins."""
    if locale not in LOCALES:
        raise ValueError(f"no interaction model for locale {locale!r}: use one of {', '.join(LOCALES)}")
    intents: list[dict[str, Any]] = []
    for name, (slots, samples) in CUSTOM_INTENTS.items():
        intents.append({
            "name": name,
            "slots": [{"name": s, "type": t} for s, t in slots.items()],
            "samples": list(samples),
        })
    for name, samples in BUILTIN_INTENTS.items():
        intents.append({"name": name, "samples": list(samples)})
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": INVOCATION,
                "intents": intents,
                "types": slot_types(catalog),
            }
        }
    }


def slot_types(catalog: Catalog) -> list[dict[str, Any]]:
    """ROUTINE, BAND_LEVEL and EXERCISE with ids and synonyms, so Alexa resolves entities for us."""
    routines = [_value(r.id, r.name.lower(), r.aliases) for r in catalog.routines.values()]
    bands: dict[str, list[str]] = {}
    for name, level in catalog.band_names.items():
        if name != level.value:
            bands.setdefault(level.value, []).append(name)
    levels = [_value(level, level, tuple(names)) for level, names in
              sorted((lv.value, bands.get(lv.value, [])) for lv in {*catalog.band_names.values()})]
    exercises = [_value(e.id, e.name.lower(), e.aliases) for e in catalog.exercises.values()]
    return [
        {"name": "ROUTINE", "values": routines},
        {"name": "BAND_LEVEL", "values": levels},
        {"name": "EXERCISE", "values": exercises},
    ]


def _value(value_id: str, name: str, synonyms: tuple[str, ...]) -> dict[str, Any]:
    spoken = {s.lower().strip() for s in (name, *synonyms)}
    # Speech has no hyphens: "pre-run warm-up" may reach entity resolution as "pre run warm up".
    spoken |= {" ".join(s.replace("-", " ").split()) for s in spoken if "-" in s}
    unique = sorted(spoken - {name.lower()})
    entry: dict[str, Any] = {"id": value_id, "name": {"value": name}}
    if unique:
        entry["name"]["synonyms"] = unique
    return entry


def render(model: dict[str, Any]) -> str:
    """The model as the checked-in JSON text (stable key order, trailing newline)."""
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def model_path(folder: Path, locale: str) -> Path:
    return folder / f"{locale}.json"


def write_models(catalog: Catalog, folder: Path) -> list[Path]:
    """Write every locale's model into `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for locale in LOCALES:
        path = model_path(folder, locale)
        path.write_text(render(build_model(catalog, locale)), encoding="utf-8")
        written.append(path)
    return written


def stale_models(catalog: Catalog, folder: Path) -> list[str]:
    """Locales whose checked-in model differs from what the plugins produce now."""
    return [
        locale for locale in LOCALES
        if not model_path(folder, locale).is_file()
        or model_path(folder, locale).read_text(encoding="utf-8") != render(build_model(catalog, locale))
    ]
