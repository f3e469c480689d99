"""What a person said -> intent and slots, by the interaction model, the way Alexa would resolve it.

Used by `bandcoach say` and the conversation tests, so both hear utterances as the skill's model does.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from skill.errors import BandCoachError

# Phrases Alexa maps to its built-in intents without samples of ours.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.NextIntent": ("next", "skip", "skip this", "next one", "go on"),
    "AMAZON.PreviousIntent": ("previous", "go back", "back", "previous one"),
    "AMAZON.RepeatIntent": ("repeat", "repeat that", "again", "what"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again"),
    "AMAZON.PauseIntent": ("pause", "wait", "hold on"),
    "AMAZON.ResumeIntent": ("resume", "continue", "unpause"),
    "AMAZON.HelpIntent": ("help", "help me", "what can i say"),
    "AMAZON.StopIntent": ("stop", "off", "shut up", "quit", "exit"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it"),
    "AMAZON.NavigateHomeIntent": ("go home", "home"),
    "AMAZON.YesIntent": ("yes", "yeah", "yep", "sure", "ok", "okay"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks"),
    "AMAZON.LoopOnIntent": ("loop on", "turn on loop"),
    "AMAZON.LoopOffIntent": ("loop off", "turn off loop"),
    "AMAZON.ShuffleOnIntent": ("shuffle", "shuffle on", "turn on shuffle"),
    "AMAZON.ShuffleOffIntent": ("shuffle off", "stop shuffling"),
}
_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                 "fifteen sixteen seventeen eighteen nineteen twenty")
_NUMBERS = {w: i for i, w in enumerate(_NUMBER_WORDS.split())}
_NUMBERS.update({"thirty": 30, "forty": 40, "forty five": 45, "fifty": 50, "sixty": 60, "twenty five": 25})
_CONNECTORS = r"(?:to |for |about |if |whether |and |that )?"


class NoMatch(BandCoachError):
    """The utterance fits no intent of the model; `close` lists samples it resembles."""

    def __init__(self, utterance: str, close: list[str]) -> None:
        hint = f" Close matches: {'; '.join(close)}." if close else ""
        super().__init__(f"no intent matches {utterance!r}.{hint}")
        self.close = close


@dataclass(frozen=True, slots=True)
class SlotMatch:
    value: str
    resolved_id: str | None  # None for a custom type value that did not resolve; built-in types are not resolved
    custom: bool


@dataclass(frozen=True, slots=True)
class Resolution:
    """A launch (`intent` None), or an intent with slots; `launched` when the invocation was in it."""

    intent: str | None
    slots: dict[str, SlotMatch] = field(default_factory=dict)
    launched: bool = False


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


class UtteranceResolver:
    """Matches utterances against one locale's interaction model."""

    def __init__(self, model: dict[str, Any]) -> None:
        language = model["interactionModel"]["languageModel"]
        self.invocation = normalise(language["invocationName"])
        self.types = {t["name"]: _synonyms(t) for t in language.get("types", [])}
        self.patterns: list[tuple[str, str, re.Pattern[str], dict[str, str]]] = []
        for intent in language["intents"]:
            slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
            samples = [*intent.get("samples", []), *BUILTIN_PHRASES.get(intent["name"], ())]
            for sample in samples:
                self.patterns.append((intent["name"], sample, _compile(sample), slots))
        inv = re.escape(self.invocation)
        self._launch_only = re.compile(rf"^(?:alexa )?(?:open|launch|start|begin|load|run) {inv}$")
        self._one_shot = [
            re.compile(rf"^(?:alexa )?(?:ask|tell|use|have|get) {inv} {_CONNECTORS}(?P<rest>.+)$"),
            re.compile(rf"^(?:alexa )?(?:open|launch|start) {inv} (?:and |to |for )?(?P<rest>.+)$"),
            re.compile(rf"^(?:alexa )?(?P<rest>.+?) (?:with|using|from|on) {inv}$"),
        ]

    def resolve(self, utterance: str) -> Resolution:
        """The intent and slots for `utterance`; NoMatch (with close samples) when nothing fits."""
        text = normalise(utterance)
        if not text:
            raise NoMatch(utterance, [])
        if self._launch_only.match(text) or text in (self.invocation, f"alexa {self.invocation}"):
            return Resolution(None, launched=True)
        launched = False
        for pattern in self._one_shot:
            m = pattern.match(text)
            if m:
                text, launched = m.group("rest"), True
                break
        best = self._best(text)
        if best is None:
            raise NoMatch(utterance, self._close(text))
        return Resolution(best[0], best[1], launched)

    def _best(self, text: str) -> tuple[str, dict[str, SlotMatch]] | None:
        candidates = []
        for intent, sample, pattern, slot_types in self.patterns:
            m = pattern.match(text)
            if not m:
                continue
            slots = {}
            for name, raw in m.groupdict().items():
                if raw is None:
                    continue
                slots[name] = self._slot(slot_types.get(name, ""), raw)
            unresolved = sum(1 for s in slots.values() if s.custom and s.resolved_id is None)
            numbers_bad = any(slot_types.get(n) == "AMAZON.NUMBER" and not s.value.isdigit()
                              for n, s in slots.items())
            literal = len(re.sub(r"\{\w+\}", "", sample).split())
            if numbers_bad or (unresolved and literal == 0):
                continue
            candidates.append(((unresolved, -literal, -len(slots)), intent, slots))
        if not candidates:
            return None
        _score, intent, slots = min(candidates, key=lambda c: c[0])
        return intent, slots

    def _slot(self, slot_type: str, raw: str) -> SlotMatch:
        if slot_type == "AMAZON.NUMBER":
            return SlotMatch(str(_NUMBERS.get(raw, raw)), None, False)
        table = self.types.get(slot_type)
        if table is None:
            return SlotMatch(raw, None, False)
        return SlotMatch(raw, table.get(raw) or table.get(_strip_articles(raw)), True)

    def _close(self, text: str) -> list[str]:
        samples = sorted({s for _i, s, _p, _t in self.patterns})
        return difflib.get_close_matches(text, samples, n=3, cutoff=0.5)


def _compile(sample: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", normalise_sample(sample))
    regex = "".join(rf"(?P<{p[1:-1]}>.+?)" if p.startswith("{") else re.escape(p) for p in parts if p)
    return re.compile(rf"^{regex}$")


def normalise_sample(sample: str) -> str:
    """A sample with its words normalised like utterances but its {slot} markers kept."""
    words = (w if w.startswith("{") else normalise(w) for w in sample.split())
    return " ".join(w for w in words if w)


def _synonyms(slot_type: dict[str, Any]) -> dict[str, str]:
    """Spoken value or synonym -> value id, for entity resolution."""
    table: dict[str, str] = {}
    for value in slot_type.get("values", []):
        value_id = value.get("id") or value["name"]["value"]
        for spoken in (value["name"]["value"], *value["name"].get("synonyms", [])):
            table.setdefault(normalise(spoken), value_id)
    return table


def _strip_articles(text: str) -> str:
    return " ".join(w for w in text.split() if w not in {"a", "an", "the", "my"})
