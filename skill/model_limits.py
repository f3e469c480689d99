"""Alexa's documented rules and limits for an interaction model, checked before `bandcoach model build` writes one.

The numbers come from Amazon's interaction-model limits and sample-utterance rules
(developer.amazon.com, custom-skills/create-the-interaction-model-for-your-skill.html#limits and
create-intents-utterances-and-slots.html): 250 intents, 350 intents and slot types together,
1.5 MB in all, 140 characters per slot value or synonym, 50,000 slot values in all; sample words
are letters with only possessive or contracting apostrophes, hyphens inside words and periods
after spoken letters, and numbers are spelled out. Amazon documents no cap on a sample's length;
MAX_SAMPLE_CHARS is this project's own, so that every sample stays one breath long.

One-shot invocations put a connecting word between the invocation name and the request ("ask band
coach *for* a stretch", "tell band coach *that* ...", "open band coach *and* ..."; custom-skills/
understanding-how-users-invoke-custom-skills.html). Alexa takes that word as part of the launch
phrase, so a sample that itself begins with one cannot be said in one breath with the invocation:
CONNECTING_WORDS are refused at the start of any sample, except in IN_SESSION_INTENTS: what a runner
says to the coach mid-workout or just after it ("that hurts", "that was hard"), never after an invocation
name. Each of those intents also has samples without the word ("it felt hard", "this hurts"), which is
what remains of a one-shot ("tell band coach that it felt hard").
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

MAX_INTENTS = 250
MAX_INTENTS_AND_TYPES = 350
MAX_MODEL_BYTES = 1_500_000
MAX_SLOT_VALUE_CHARS = 140
MAX_SLOT_VALUES = 50_000
MAX_SAMPLE_CHARS = 120  # ours: Amazon sets none, and a longer sample is no longer something a runner says
# Words Alexa's one-shot phrases put between the invocation name and the request (English locales).
CONNECTING_WORDS = frozenset({"about", "and", "for", "if", "that", "to", "whether"})
# Said inside a session, where no invocation name comes first: "that hurts" must keep working.
IN_SESSION_INTENTS = frozenset({"PainIntent", "FeedbackIntent", "HarderIntent", "FinishWorkoutIntent"})
_WORD = re.compile(r"^(?:[a-z]+(?:'[a-z]+)?(?:-[a-z]+)*|(?:[a-z]\.)+|\{[A-Za-z_]\w*\})$")
_TYPE_NAME = re.compile(r"^(?:AMAZON\.)?[A-Za-z_]+$")


def problems(model: dict[str, Any]) -> list[str]:
    """Every rule or limit the model breaks, one line each naming the intent, sample or value; [] when none."""
    language = model["interactionModel"]["languageModel"]
    intents, types = language.get("intents", []), language.get("types", [])
    found: list[str] = []
    if len(intents) > MAX_INTENTS:
        found.append(f"{len(intents)} intents, over Alexa's {MAX_INTENTS}")
    if len(intents) + len(types) > MAX_INTENTS_AND_TYPES:
        found.append(f"{len(intents)} intents and {len(types)} slot types, over Alexa's {MAX_INTENTS_AND_TYPES}")
    size = len(json.dumps(model, ensure_ascii=False).encode())
    if size > MAX_MODEL_BYTES:
        found.append(f"the model is {size:,} bytes, over Alexa's {MAX_MODEL_BYTES:,}")
    found += _sample_problems(intents)
    found += _type_problems(types)
    return found


def _sample_problems(intents: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    owner: dict[str, list[str]] = defaultdict(list)
    for intent in intents:
        declared = {slot["name"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            owner[sample].append(intent["name"])
            where = f"{intent['name']} sample {sample!r}"
            if len(sample) > MAX_SAMPLE_CHARS:
                found.append(f"{where} is {len(sample)} characters, over {MAX_SAMPLE_CHARS}")
            if sample != " ".join(sample.split()):
                found.append(f"{where} has stray spacing: one space between words, none at the ends")
            bad = [word for word in sample.split() if not _WORD.match(word)]
            if bad:
                found.append(f"{where} has words Alexa rejects ({', '.join(map(repr, bad))}): "
                             "lower-case letters, apostrophes, inner hyphens, spelled-out numbers, {slots}")
            used = re.findall(r"\{(\w+)\}", sample)
            for slot in sorted(set(used) - declared):
                found.append(f"{where} uses {{{slot}}}, which {intent['name']} does not declare")
            if len(used) != len(set(used)):
                found.append(f"{where} uses a slot twice")
            first = sample.split(" ", 1)[0]
            if first in CONNECTING_WORDS and intent["name"] not in IN_SESSION_INTENTS:
                found.append(f"{where} starts with {first!r}, a connecting word Alexa takes as part of a one-shot "
                             f"(\"ask <invocation> {first} ...\"): start it with the request itself")
            if re.search(r"\}\s*\{", sample):
                found.append(f"{where} puts two slots side by side with no word between them")
    for sample, names in owner.items():
        if len(names) > 1:
            found.append(f"sample {sample!r} belongs to {' and '.join(names)}: one sample, one intent")
    return found


def _type_problems(types: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    total = 0
    for slot_type in types:
        name = slot_type["name"]
        if not _TYPE_NAME.match(name):
            found.append(f"slot type name {name!r}: letters and underscores only")
        spoken_by: dict[str, str] = {}
        for value in slot_type.get("values", []):
            words = [value["name"]["value"], *value["name"].get("synonyms", [])]
            total += len(words)
            for spoken in words:
                if len(spoken) > MAX_SLOT_VALUE_CHARS:
                    found.append(f"{name} value {spoken[:40]!r}... is over {MAX_SLOT_VALUE_CHARS} characters")
                other = spoken_by.setdefault(spoken.lower(), value.get("id", spoken))
                if other != value.get("id", spoken):
                    found.append(f"{name}: {spoken!r} names both {other!r} and {value.get('id')!r}")
    if total > MAX_SLOT_VALUES:
        found.append(f"{total:,} slot values and synonyms, over Alexa's {MAX_SLOT_VALUES:,}")
    return found
