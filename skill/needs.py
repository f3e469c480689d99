"""What a runner may ask for instead of a routine's name: a focus, their equipment, a length.

The vocabulary of the FOCUS, EQUIPMENT and LENGTH slots, as value id -> the words runners use.
The interaction model (skill/model.py) publishes them as slot types; `choose` picks a routine
for them (or the one question to ask first), and a length is met by `Catalog.fit`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skill.catalog import Catalog
from skill.routines import BODY_PARTS, MAX_MINUTES, Exercise, RoutineKind, Variant
from skill.timeline import Timeline, worked

# Body parts (skill.routines.BODY_PARTS, in the same order), and the two moments around a run that say
# what kind of routine is wanted.
FOCUS: dict[str, tuple[str, ...]] = {
    "hips": ("hips", "hip", "tight hips", "hip flexors", "hips and glutes"),
    "glutes": ("glutes", "glute", "bum", "butt", "backside"),
    "hamstrings": ("hamstrings", "hamstring", "tight hamstrings", "hammies", "the back of my legs"),
    "calves": ("calves", "calf", "tight calves", "achilles", "ankles", "calves and ankles"),
    "quads": ("quads", "quad", "thighs", "front of my thighs", "quadriceps"),
    "back": ("lower back", "my back", "my lower back", "stiff back", "back muscles"),  # never bare "back": Previous
    "core": ("core", "my core", "abs", "my abs", "core muscles", "stomach muscles", "tummy"),
    "inner_thighs": ("inner thighs", "inner thigh", "groin", "my groin", "adductors", "inside of my thighs"),
    "after_run": (
        "after my run", "after a run", "after running", "after my long run", "post run", "just ran",
        "i just ran", "just finished my run", "i just finished my run", "finished my run", "got back from my run",
        "just got back from a run", "back from my run", "done running", "after my ten k", "after a ten k",
    ),
    "before_run": (
        "before my run", "before a run", "before running", "before my long run", "pre run", "warm me up",
        "get me ready for my run", "get me ready to run", "about to go for a run", "about to go running",
        "about to run", "heading out for a run", "going for a run", "before my race", "before a race",
    ),
}

# The bands a runner has to hand (the level is BAND_LEVEL's business).
EQUIPMENT: dict[str, tuple[str, ...]] = {
    "loop_band": ("loop band", "mini band", "booty band", "a loop band", "a mini band", "my mini band",
                  "my loop band", "my booty band", "a booty band", "resistance loop", "band loop"),
    "long_band": ("long band", "a long band", "my long band", "tube band", "a tube band", "tube", "therapy band",
                  "flat band", "band with handles"),
    "treadmill": ("treadmill", "a treadmill", "the treadmill", "my treadmill", "running machine", "the running machine",
                  "a running machine"),
    "no_band": ("no band", "without a band", "with no band", "without my band", "forgot my band", "i forgot my band",
                "no bands", "without bands", "don't have a band", "i don't have a band", "left my band at home"),
}

# How long, in words rather than minutes.
LENGTH: dict[str, tuple[str, ...]] = {
    "quick": ("quick", "short", "fast", "quickie", "brief", "little", "mini"),
    "long": ("long", "full", "longer", "complete", "extended", "proper", "whole"),
}


VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {"focus": FOCUS, "equipment": EQUIPMENT, "length": LENGTH}


def _by_words(vocabulary: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Spoken words -> value id, the first value listing them winning (as a scan in order would)."""
    index: dict[str, str] = {}
    for value, words in vocabulary.items():
        for spoken in words:
            index.setdefault(spoken, value)
    return index


# Built once: a need slot Alexa did not resolve is one dict lookup per request, not a scan of every phrase.
_BY_WORDS = {slot: _by_words(vocabulary) for slot, vocabulary in VOCABULARIES.items()}


def spoken_id(slot: str, spoken: str | None) -> str | None:
    """The value id of need slot `slot` ("focus", "equipment", "length") whose words `spoken` is, else None."""
    return _BY_WORDS[slot].get(" ".join((spoken or "").lower().split()))


_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}


def number(spoken: str | None) -> float | None:
    """A number as Alexa sends it ("5", "7.5") or as some clients pass it on ("five", "twenty five"); else None."""
    text = " ".join((spoken or "").lower().replace("-", " ").split())
    try:
        return float(text) if text else None
    except ValueError:
        pass
    words = text.split()
    if len(words) == 1 and words[0] in _UNITS:
        return float(_UNITS.index(words[0]))
    if words and words[0] in _TENS and (len(words) == 1 or (len(words) == 2 and words[1] in _UNITS[1:10])):
        return float(_TENS[words[0]] + (_UNITS.index(words[1]) if len(words) == 2 else 0))
    return None


def focus_in(spoken: str | None) -> str | None:
    """The FOCUS id whose words these are ("after my run" -> "after_run"), else None."""
    return spoken_id("focus", (spoken or "").replace("-", " "))


def length_in(spoken: str | None) -> str | None:
    """The LENGTH id whose word a routine's spoken value starts with ("quick stretch" -> "quick"), else None."""
    return _BY_WORDS["length"].get((spoken or "").lower().split(" ", 1)[0])


# A moment around a run asks for one kind of routine: static stretching after, activation before.
MOMENTS: dict[str, RoutineKind] = {"after_run": RoutineKind.MOBILITY, "before_run": RoutineKind.ACTIVATION}

# A length word is a variant of the routine; minutes, when given too, win (the routine is fitted instead).
LENGTH_VARIANTS: dict[str, Variant] = {"quick": Variant.SHORT, "long": Variant.LONG}

SUITS_BAND = 0.5  # a routine suits a band when at least this share of its time uses that band's placements
_HELD_ENDS = re.compile(r"\bends\b")  # "ends in your hands", "ends over your shoulder": a band with ends


@dataclass(frozen=True, slots=True)
class Need:
    """What a runner asked for instead of a routine's name; each part optional, as the ids of the vocabulary above.

    `kind` is what they want to do to the body part (stretch it: mobility, strengthen it: strength),
    for instance their answer to a Question; a moment in `focus` sets it without asking.
    """

    focus: str | None = None
    equipment: str | None = None
    length: str | None = None
    minutes: int | None = None
    kind: RoutineKind | None = None

    def __post_init__(self) -> None:
        for value, table, slot in ((self.focus, FOCUS, "focus"), (self.equipment, EQUIPMENT, "equipment"),
                                   (self.length, LENGTH, "length")):
            if value is not None and value not in table:
                raise ValueError(f"unknown {slot} {value!r}; expected one of {', '.join(table)}")
        if self.minutes is not None and not 1 <= self.minutes <= MAX_MINUTES:
            raise ValueError(f"minutes must be 1-{MAX_MINUTES}, not {self.minutes}")

    @property
    def part(self) -> str | None:
        """The body part asked for, if the focus is one."""
        return self.focus if self.focus in BODY_PARTS else None

    @property
    def wanted(self) -> RoutineKind | None:
        """The kind of routine the need asks for: said outright, or implied by a moment around the run."""
        return self.kind or MOMENTS.get(self.focus or "")

    @property
    def variant(self) -> Variant:
        """The variant to coach: the length word's, or the standard form when minutes are given (it is then fitted)."""
        return Variant.STANDARD if self.minutes else LENGTH_VARIANTS.get(self.length or "", Variant.STANDARD)


@dataclass(frozen=True, slots=True)
class Question:
    """One short sentence to ask first, and the routine ids the answer chooses between (the stretch first)."""

    text: str
    routines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """A routine for a need, or a question to ask first; neither when nothing fits or nothing in the need picks one.

    `without_band`: the runner has no band. The routine is chosen as usual, since every built-in move
    can be done without one (body weight; the hands for the stretches), with less resistance: say so.
    """

    routine: str | None = None
    question: Question | None = None
    without_band: bool = False


def choose(catalog: Catalog, need: Need) -> Choice:
    """The routine that fits `need`, or the question to ask when a stretch and a strength routine both fit."""
    without = need.equipment == "no_band"
    kind, part = need.wanted, need.part
    if kind is None and part is None and need.equipment in (None, "no_band"):
        return Choice(without_band=without)  # a length or a missing band alone does not pick a routine
    found = {k: _ranked(catalog, need, k) for k in RoutineKind}
    if kind is not None:
        picks = found[kind]
    elif part is not None:
        stretch, strength = found[RoutineKind.MOBILITY], found[RoutineKind.STRENGTH]
        if stretch and strength:
            return Choice(question=Question(ask_stretch_or_strengthen(part), (stretch[0][1], strength[0][1])),
                          without_band=without)
        picks = stretch or strength or found[RoutineKind.ACTIVATION]
    else:  # only the band they have: the routine done most with it; a warm-up only before a run
        picks = sorted(found[RoutineKind.STRENGTH] + found[RoutineKind.MOBILITY]) or found[RoutineKind.ACTIVATION]
    return Choice(picks[0][1] if picks else None, without_band=without)


def ask_stretch_or_strengthen(part: str) -> str:
    """The question for a body part both kinds fit, in a runner's words: "Stretch your hips, or strengthen them?"."""
    words = FOCUS[part][0]
    return f"Stretch your {words}, or strengthen {'them' if words.endswith('s') else 'it'}?"


def band_for(exercise: Exercise) -> str:
    """The EQUIPMENT id an exercise's placement needs: a long band when its ends are held, else a loop band."""
    return "long_band" if _HELD_ENDS.search(exercise.placement) else "loop_band"


def _ranked(catalog: Catalog, need: Need, kind: RoutineKind) -> list[tuple[tuple[float, ...], str]]:
    """Routines of `kind` that suit the need's band and work its body part, best first, each with its sort key."""
    ranked = []
    for order, routine in enumerate(catalog.routines.values()):
        if routine.kind is not kind:
            continue
        if routine.equipment and need.equipment not in routine.equipment:
            continue  # it needs a machine the runner did not say they have
        timeline = catalog.timeline(routine.id)
        suits = 1.0 if need.equipment in routine.equipment else _band_share(timeline, need.equipment)
        if suits < SUITS_BAND:
            continue
        share = 1.0
        if need.part is not None:
            # A hold in a strength routine stretches; only its reps strengthen the part.
            counts = (lambda e: e.reps is not None) if kind is RoutineKind.STRENGTH else (lambda _: True)
            share = worked(timeline, counts).get(need.part, 0.0)
            if share <= 0:
                continue
        named = need.part is not None and _answers_to(routine.spoken_names, need.part)
        ranked.append(((-float(named), -round(share, 6), -round(suits, 6), float(order)), routine.id))
    return sorted(ranked)


def _band_share(timeline: Timeline, equipment: str | None) -> float:
    """The share of the timeline's time whose placements suit `equipment`; every placement suits no band at all."""
    if equipment in (None, "no_band"):
        return 1.0
    total = timeline.seconds or 1.0
    return sum(b.seconds for b in timeline.blocks if band_for(b.exercise) == equipment) / total


def _answers_to(names: tuple[str, ...], part: str) -> bool:
    """Whether a routine's own names say the body part ("hip strength" for hips): its author's word for it."""
    spoken = [f" {' '.join(n.lower().replace('-', ' ').split())} " for n in names]
    return any(f" {word} " in name for word in FOCUS[part] for name in spoken)
