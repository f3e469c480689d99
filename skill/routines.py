"""The coaching vocabulary as frozen dataclasses: band levels, exercises, steps, routines, variants."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

DEFAULT_TEMPO = 3.0  # seconds a repetition takes when an exercise does not say
SIDE_SWITCH_SECONDS = 5  # time to change sides when the body stays where it is (swap legs, arms)
SIDE_MOVE_SECONDS = 9  # time to change sides when the body moves (roll over, turn round, re-kneel)
EXTRA_SETS_LIMIT = 5  # the most extra sets any progression may add; more is clamped where it enters
MAX_MINUTES = 60  # the longest length a runner may ask a routine to fit

# What an exercise may work or stretch (Exercise.targets). The ids are the body parts of the FOCUS
# slot (skill/needs.py), so a runner's "something for my calves" finds the exercises that work them.
BODY_PARTS: tuple[str, ...] = ("hips", "glutes", "hamstrings", "calves", "quads", "back", "core", "inner_thighs")


class BandLevel(enum.StrEnum):
    """The three resistance levels; values are what the runner says and what we store."""

    LIGHT = "light"
    MEDIUM = "medium"
    HEAVY = "heavy"

    @property
    def pounds(self) -> tuple[int, int]:
        """Typical resistance range in pounds, as the source article gives it."""
        return {"light": (10, 35), "medium": (40, 80), "heavy": (60, 150)}[self.value]

    def step(self, by: int) -> BandLevel:
        """The level `by` notches up (positive) or down (negative), clamped to the ends."""
        order = list(BandLevel)
        return order[max(0, min(len(order) - 1, order.index(self) + by))]


class BandKind(enum.StrEnum):
    """The two band shapes the article names: a closed loop, or a long band with ends (a tube with handles counts)."""

    LOOP = "loop"  # a "big rubber band": round the ankles, knees or thighs for activation and strength work
    LONG = "long"  # ends in your hands: round a foot for stretches

    @property
    def spoken(self) -> str:
        """How the coach names it after the level: "light loop band", "light long band"."""
        return "loop band" if self is BandKind.LOOP else "long band"


class Position(enum.StrEnum):
    """Where the body is for an exercise, which sets how long a runner needs to get set for it."""

    STANDING = "standing"
    SEATED = "seated"
    KNEELING = "kneeling"
    FLOOR = "floor"  # lying down or on all fours: the longest transition

    @property
    def get_set_seconds(self) -> int:
        """Seconds between the end of the instructions and the start of the work (10-15 s, longest to the floor)."""
        return {"standing": 10, "seated": 10, "kneeling": 12, "floor": 15}[self.value]


class Variant(enum.StrEnum):
    """Lengths of one routine, derived from its standard form rather than written again."""

    SHORT = "short"
    STANDARD = "standard"
    LONG = "long"


class RoutineKind(enum.StrEnum):
    """What a routine is for, which sets how it progresses and how long an unfinished one stays on offer."""

    ACTIVATION = "activation"  # before a run: wake the muscles up, short and never heavy
    STRENGTH = "strength"  # build strength: reps, sets, then a heavier band
    MOBILITY = "mobility"  # after a run: stretch with the lightest band, never loaded up

    @property
    def offer_seconds(self) -> int:
        """How long an unfinished workout of this kind is offered to resume, counted from its start."""
        # A warm-up or a stretch belongs to one run, so it goes stale within hours; strength work keeps a day.
        return 24 * 3600 if self is RoutineKind.STRENGTH else 3 * 3600


# Stored text -> member, for the hot decoders (state, tokens): a dict lookup, where calling the Enum
# costs more than the rest of decoding a session. Unknown text is not a key: callers decide.
BANDS_BY_VALUE: dict[str, BandLevel] = {b.value: b for b in BandLevel}
VARIANTS_BY_VALUE: dict[str, Variant] = {v.value: v for v in Variant}


@dataclass(frozen=True, slots=True)
class Exercise:
    """A named movement: where the band goes, how to set up, and reps or a hold (per side or not)."""

    id: str
    name: str
    placement: str
    setup: str
    tips: tuple[str, ...] = ()
    reps: int | None = None
    hold_seconds: int | None = None
    work_seconds: int | None = None  # a timed interval of movement (a treadmill walk), not counted reps or a hold
    per_side: bool = False
    band: BandLevel = BandLevel.LIGHT
    aliases: tuple[str, ...] = ()
    tempo_seconds: float = DEFAULT_TEMPO
    side_names: tuple[str, str] = ("left", "right")
    targets: tuple[str, ...] = ()  # the body parts it works or stretches, ids of BODY_PARTS
    band_kind: BandKind = BandKind.LOOP
    position: Position = Position.STANDING
    cue: str = ""  # one short reminder for a runner who has done it before ("" = the setup's first sentence)
    caution: str = ""  # a safety line said with the full setup (a chair without wheels, a towel under the knee)
    switch: str = ""  # words for changing sides when the body moves ("Roll onto your other side."); "" = it does not
    easier: str = ""  # the id of an easier or lower-impact exercise to offer instead (pain, a hotel floor)
    get_set_seconds: int = 0  # time to get into position after the instructions; 0 = the position's default

    def __post_init__(self) -> None:
        _check_id(self.id, "exercise")
        if self.get_set_seconds and not 5 <= self.get_set_seconds <= 30:
            raise ValueError(f"exercise {self.id!r}: get_set_seconds must be 5-30, not {self.get_set_seconds}")
        if self.easier == self.id:
            raise ValueError(f"exercise {self.id!r} cannot be its own easier option")
        if sum(v is not None for v in (self.reps, self.hold_seconds, self.work_seconds)) != 1:
            raise ValueError(f"exercise {self.id!r} needs exactly one of reps, hold_seconds or work_seconds")
        if self.work_seconds is not None and not 10 <= self.work_seconds <= 600:
            raise ValueError(f"exercise {self.id!r}: work_seconds must be 10-600, not {self.work_seconds}")
        if self.reps is not None and not 1 <= self.reps <= 100:
            raise ValueError(f"exercise {self.id!r}: reps must be 1-100, not {self.reps}")
        if self.hold_seconds is not None and not 5 <= self.hold_seconds <= 300:
            raise ValueError(f"exercise {self.id!r}: hold_seconds must be 5-300, not {self.hold_seconds}")
        if not 1 <= len(self.tips) <= 3:
            raise ValueError(f"exercise {self.id!r} needs 1-3 form tips, has {len(self.tips)}")
        if not 1.0 <= self.tempo_seconds <= 8.0:
            raise ValueError(f"exercise {self.id!r}: tempo_seconds must be 1-8")
        unknown = [t for t in self.targets if t not in BODY_PARTS]
        if unknown:
            raise ValueError(f"exercise {self.id!r}: unknown body part {unknown[0]!r} in targets; "
                             f"expected some of {', '.join(BODY_PARTS)}")
        if len(set(self.targets)) != len(self.targets):
            raise ValueError(f"exercise {self.id!r} names a body part twice in targets")

    @property
    def spoken_names(self) -> tuple[str, ...]:
        """Every name a runner may use for it: the name first, then aliases."""
        return (self.name.lower(), *self.aliases)

    @property
    def get_set(self) -> int:
        """Seconds to get into position after hearing the instructions."""
        return self.get_set_seconds or self.position.get_set_seconds

    @property
    def reminder(self) -> str:
        """The short cue for a runner who knows the exercise: its own, else the setup's first sentence."""
        return self.cue or self.setup.split(". ")[0].rstrip(".") + "."

    @property
    def side_moves(self) -> bool:
        """Whether changing sides moves the body (rolling over, turning round), which takes longer."""
        return bool(self.switch)

    def band_for(self, level: BandLevel) -> BandLevel:
        """The band this exercise is coached on at the runner's `level`: that level, but never above its own band."""
        order = list(BandLevel)
        return order[min(order.index(level), order.index(self.band))]


@dataclass(frozen=True, slots=True)
class Step:
    """One exercise in a routine: how many sets, optional overrides, and the rest after it."""

    exercise: str
    sets: int = 1
    reps: int | None = None
    hold_seconds: int | None = None
    work_seconds: int | None = None
    rest_seconds: int = 15
    variants: tuple[Variant, ...] = (Variant.SHORT, Variant.STANDARD, Variant.LONG)  # the lengths it is part of

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError(f"step {self.exercise!r}: variants must name at least one of short, standard, long")
        if not 1 <= self.sets <= 10:
            raise ValueError(f"step {self.exercise!r}: sets must be 1-10, not {self.sets}")
        if not 0 <= self.rest_seconds <= 180:
            raise ValueError(f"step {self.exercise!r}: rest_seconds must be 0-180")


@dataclass(frozen=True, slots=True)
class Routine:
    """An ordered list of steps with the names a runner says for it; `plugin` is set by the catalog."""

    id: str
    name: str
    goal: str
    steps: tuple[Step, ...]
    aliases: tuple[str, ...] = ()
    band: BandLevel = BandLevel.LIGHT
    plugin: str = ""
    variant: Variant = Variant.STANDARD
    kind: RoutineKind = RoutineKind.STRENGTH
    equipment: tuple[str, ...] = ()  # what it needs besides a band ("treadmill"): chosen by need only when named

    def __post_init__(self) -> None:
        _check_id(self.id, "routine")
        if not self.steps:
            raise ValueError(f"routine {self.id!r} has no steps")

    @property
    def spoken_names(self) -> tuple[str, ...]:
        return (self.name.lower(), *self.aliases)

    def derive(self, variant: Variant) -> Routine:
        """This routine at another length: the standard form's steps that belong to `variant`, doses unchanged.

        A shorter session drops whole exercises rather than shrinking each one, because a hold cut to
        20 s or a set of 9 reps no longer does what the exercise is for (docs/coaching.md).
        """
        if self.variant is not Variant.STANDARD:
            if variant is self.variant:
                return self
            raise ValueError(f"routine {self.id!r}: derive variants from the standard form")
        steps = self.steps_of(variant)
        if not steps:
            raise ValueError(f"routine {self.id!r} has no step in its {variant} length")
        return self if steps == self.steps and variant is self.variant else replace(self, steps=steps, variant=variant)

    def steps_of(self, variant: Variant) -> tuple[Step, ...]:
        """The steps of this routine that are part of `variant` (a routine as plugins give it holds every length's)."""
        return tuple(s for s in self.steps if variant in s.variants)


def _check_id(value: str, what: str) -> None:
    if not value or not all(c.isalnum() or c in "_-" for c in value) or value != value.lower():
        raise ValueError(f"{what} id {value!r} must be lowercase letters, digits, '-' or '_'")


@dataclass(frozen=True, slots=True)
class Dose:
    """What one step asks for, after the step's overrides: the numbers the timeline counts.

    Exactly one of `reps`, `hold_seconds` (a static stretch) or `work_seconds` (timed movement) is set.
    """

    sets: int
    reps: int | None
    hold_seconds: int | None
    per_side: bool
    rest_seconds: int
    tempo_seconds: float
    work_seconds: int | None = None


def dose(step: Step, exercise: Exercise) -> Dose:
    """Combine a step with its exercise's defaults: the step's own reps, hold or interval win."""
    if exercise.hold_seconds is not None:
        return Dose(step.sets, None, step.hold_seconds or exercise.hold_seconds, exercise.per_side,
                    step.rest_seconds, exercise.tempo_seconds)
    if exercise.work_seconds is not None:
        return Dose(step.sets, None, None, exercise.per_side, step.rest_seconds, exercise.tempo_seconds,
                    step.work_seconds or exercise.work_seconds)
    return Dose(step.sets, step.reps or exercise.reps or 1, None, exercise.per_side,
                step.rest_seconds, exercise.tempo_seconds)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a runner is in a workout: which timeline (routine, variant, band, extra sets), which block, since when.

    The one value for it: session attributes, hands-free tokens and stored rows encode a Place and
    never redefine it. `Catalog.clamped` makes one from outside safe to use.
    """

    routine: str
    variant: Variant
    band: BandLevel
    extra_sets: int = 0
    block: int = 0
    started: int = 0  # epoch seconds when the workout began, for its recorded duration
    minutes: int = 0  # a length the runner asked for, met by whole exercises; 0: the variant as it is

    def at(self, block: int) -> Place:
        """The same workout at another block."""
        return replace(self, block=block)
