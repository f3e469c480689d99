"""The runner corpus (tests/nlu/corpus.yaml) understood by the generated model: virtual-alexa and `bandcoach say`.

Each utterance counts as understood when the intent and every slot (by resolved id) are what the
corpus says; an out-of-domain line counts when nothing of ours matches it. A length word may
arrive inside the routine's spoken value ("a quick stretch": the model publishes routine names
with their length words, as Alexa matches one slot better than two side by side), and the skill
reads it there (skill.needs.length_in), so it counts as the length. "exit" ends the session in
Alexa itself, so a SessionEndedRequest counts for a line labelled Stop or Cancel. The bar is 95%
per locale, for virtual-alexa (a resolver we did not write) and for the resolver `bandcoach say` uses.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.builtin_catalog import builtin_catalog
from support.e2e_node import run_node_json

from skill import needs
from skill.config import LOCALES
from skill.model import build_model
from skill.testing.utterances import UtteranceResolver

CORPUS = Path(__file__).parent / "nlu" / "corpus.yaml"
BAR = 0.95
FALLBACK = "AMAZON.FallbackIntent"


@dataclass(frozen=True, slots=True)
class Line:
    """One corpus entry: what the runner says, where, and what it must resolve to."""

    say: str
    intent: str
    slots: dict[str, str]
    where: str


def corpus() -> list[Line]:
    entries = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [Line(e["say"], e["intent"], {k: str(v) for k, v in (e.get("slots") or {}).items()}, e["where"])
            for e in entries]


def as_heard(slots: dict[str, str], spoken: dict[str, str]) -> dict[str, str]:
    """The slots as the skill uses them: a length word inside the routine's spoken value is the length."""
    length = needs.length_in(spoken.get("routine"))
    return {**slots, "length": length} if length and "length" not in slots else slots


def understood(line: Line, intent: str | None, slots: dict[str, str], unresolved: bool = False) -> bool:
    """Whether a resolver's answer is the corpus's: the intent and exactly its slots.

    An out-of-domain line is understood when nothing of ours matches, or when what matched names no
    value of ours (`unresolved`: "start a spin class" is answered "I don't have a routine called spin class").
    """
    if line.intent == FALLBACK:
        return intent in (None, FALLBACK) or unresolved
    if intent == "SessionEndedRequest" and line.say == "exit":
        return line.intent in ("AMAZON.StopIntent", "AMAZON.CancelIntent")
    return intent == line.intent and slots == line.slots


def score(lines: list[Line], answers: list[tuple[str | None, dict[str, str], bool]]) -> tuple[float, str]:
    """The share understood, and a per-intent table with the misses, for the failure message and the docs."""
    total: Counter[str] = Counter(line.intent for line in lines)
    hits: Counter[str] = Counter()
    misses = []
    for line, (intent, slots, unresolved) in zip(lines, answers, strict=True):
        if understood(line, intent, slots, unresolved):
            hits[line.intent] += 1
        else:
            misses.append(f"  {line.say!r}: expected {line.intent} {line.slots}, got {intent} {slots}")
    rows = [f"| {name} | {hits[name]}/{count} | {hits[name] / count:.0%} |" for name, count in sorted(total.items())]
    table = "\n".join(["| intent | understood | share |", "| --- | --- | --- |", *rows])
    return sum(hits.values()) / len(lines), table + "\n" + "\n".join(misses)


def resolve_with_bandcoach(resolver: UtteranceResolver, line: Line) -> tuple[str | None, dict[str, str], bool]:
    found = resolver.match(line.say)  # one-shots carry the invocation; the resolver strips it as Alexa does
    if found is None:
        return None, {}, False
    unresolved = any(slot.custom and slot.resolved_id is None for slot in found.slots.values())
    slots = {name: slot.resolved_id or slot.value for name, slot in found.slots.items()}
    return found.intent, as_heard(slots, {name: slot.value for name, slot in found.slots.items()}), unresolved


def test_the_corpus_is_large_and_labels_only_intents_of_the_model() -> None:
    """At least 300 distinct phrasings, every intent of the model among them, no label the model lacks."""
    lines = corpus()
    model = build_model(builtin_catalog(), "en-US")["interactionModel"]["languageModel"]
    intents = {i["name"] for i in model["intents"]}
    assert len(lines) >= 300 and len({line.say for line in lines}) == len(lines)
    assert {line.intent for line in lines} <= intents
    assert intents - {line.intent for line in lines} == set()


@pytest.mark.parametrize("locale", LOCALES)
def test_bandcoach_say_understands_the_corpus(locale: str) -> None:
    """`bandcoach say`'s resolver, over the generated model, understands at least 95% of the corpus."""
    lines = corpus()
    resolver = UtteranceResolver(build_model(builtin_catalog(), locale))
    share, table = score(lines, [resolve_with_bandcoach(resolver, line) for line in lines])
    assert share >= BAR, f"{locale}: {share:.1%} understood, under {BAR:.0%}\n{table}"


@pytest.mark.e2e
@pytest.mark.parametrize("locale", LOCALES)
def test_virtual_alexa_understands_the_corpus(locale: str, tmp_path: Path) -> None:
    """virtual-alexa, resolving by its own rules over the generated model, understands at least 95% of it."""
    lines = corpus()
    model_file = tmp_path / f"{locale}.json"
    model_file.write_text(json.dumps(build_model(builtin_catalog(), locale)), encoding="utf-8")
    asked = tmp_path / "utterances.json"
    asked.write_text(json.dumps([{"say": line.say, "oneShot": line.where == "one-shot"} for line in lines]))
    results: list[dict[str, Any]] = run_node_json("nlu_resolve.js", str(model_file), str(asked), timeout=300)
    answers = [(r.get("intent"), as_heard(r.get("slots") or {}, r.get("spoken") or {}), False) for r in results]
    share, table = score(lines, answers)
    assert share >= BAR, f"{locale}: {share:.1%} understood, under {BAR:.0%}\n{table}"
