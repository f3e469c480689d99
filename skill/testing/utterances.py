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
        # Samples by their first word (None: they start with a slot). An utterance can only match a
        # sample whose first word it starts with, so each utterance tries a few hundred, not them all.
        self._by_first: dict[str | None, list[tuple[str, str, re.Pattern[str], dict[str, str]]]] = {}
        for intent in language["intents"]:
            slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
            samples = [*intent.get("samples", []), *BUILTIN_PHRASES.get(intent["name"], ())]
            for sample in samples:
                entry = (intent["name"], sample, _compile(sample), slots)
                self.patterns.append(entry)
                first = normalise_sample(sample).split(" ")[0]
                self._by_first.setdefault(None if first.startswith("{") else first, []).append(entry)
        inv = re.escape(self.invocation)
        self._launch_only = re.compile(rf"^(?:alexa )?(?:open|launch|start|begin|load|run) {inv}$")
        self._one_shot = [
            re.compile(rf"^(?:alexa )?(?:ask|tell|use|have|get) {inv} {_CONNECTORS}(?P<rest>.+)$"),
            re.compile(rf"^(?:alexa )?(?:open|launch|start) {inv} (?:and |to |for )?(?P<rest>.+)$"),
            re.compile(rf"^(?:alexa )?(?P<rest>.+?) (?:with|using|from|on) {inv}$"),
        ]

    def resolve(self, utterance: str) -> Resolution:
        """The intent and slots for `utterance`; NoMatch (naming the three closest samples) when nothing fits."""
        found = self.match(utterance)
        if found is None:
            raise NoMatch(utterance, self._close(self._request_part(normalise(utterance))[0]))
        return found

    def match(self, utterance: str) -> Resolution | None:
        """The intent and slots for `utterance`, or None when nothing fits (no close matches looked up)."""
        text, launched = self._request_part(normalise(utterance))
        if text is None:
            return Resolution(None, launched=True)
        if not text:
            return None
        best = self._best(text)
        return Resolution(best[0], best[1], launched) if best is not None else None

    def _request_part(self, text: str) -> tuple[str | None, bool]:
        """The request inside a one-shot ("ask band coach to ...") and whether the invocation was said;
        None for a launch with no request."""
        if self._launch_only.match(text) or text in (self.invocation, f"alexa {self.invocation}"):
            return None, True
        for pattern in self._one_shot:
            m = pattern.match(text)
            if m:
                return m.group("rest"), True
        return text, False

    def _best(self, text: str) -> tuple[str, dict[str, SlotMatch]] | None:
        candidates = []
        tried = [*self._by_first.get(text.split(" ")[0], ()), *self._by_first.get(None, ())]
        for intent, sample, pattern, slot_types in tried:
            if not pattern.match(text):
                continue
            literal = len(re.sub(r"\{\w+\}", "", sample).split())
            for split in _splits(_parts(sample), text):
                slots = {name: self._slot(slot_types.get(name, ""), raw) for name, raw in split.items()}
                open_values = [s.value for s in slots.values() if s.custom and s.resolved_id is None]
                numbers_bad = any(slot_types.get(n) == "AMAZON.NUMBER" and not s.value.isdigit()
                                  for n, s in slots.items())
                if numbers_bad or not _plausible(open_values, literal):
                    continue
                candidates.append(((len(open_values), -len(slots), -literal), intent, slots))
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

    def _close(self, text: str | None) -> list[str]:
        """The three samples most like `text`, for a runner or developer to try instead."""
        if not text:
            return []
        samples = sorted({s for _i, s, _p, _t in self.patterns})
        return difflib.get_close_matches(text, samples, n=3, cutoff=0.0)


def _plausible(open_values: list[str], literal: int) -> bool:
    """Whether Alexa would fill a slot with words that are none of its values: one such slot at most, a
    short one, in a sample with a carrier phrase ("start {routine}")."""
    return not open_values or (len(open_values) == 1 and literal >= 1 and len(open_values[0].split()) <= 3)


def _parts(sample: str) -> list[str]:
    """A sample as its literal runs and {slot} markers, in order."""
    return [p for p in re.split(r"(\{\w+\})", normalise_sample(sample)) if p]


def _splits(parts: list[str], text: str) -> list[dict[str, str]]:
    """Every way `text` fills the sample's slots (each at least one word), not only the regex's first."""
    if not parts:
        return [{}] if not text else []
    head, rest = parts[0], parts[1:]
    if not head.startswith("{"):
        return _splits(rest, text[len(head):]) if text.startswith(head) else []
    name = head[1:-1]
    found = []
    for end in range(1, len(text) + 1):
        if end < len(text) and text[end] != " " and (not rest or not rest[0].startswith(" ")):
            continue
        value, remainder = text[:end].strip(), text[end:]
        if not value or value != text[:end] or (remainder and not remainder.startswith(" ") and rest
                                                and rest[0].startswith(" ")):
            continue
        found += [{name: value, **more} for more in _splits(rest, remainder)]
    return found


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
