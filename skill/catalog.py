"""Catalog.build(pm): every exercise, routine and band name the plugins offer, validated once."""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from skill.fit import Fit, borrowable, fit_routine
from skill.plugins import BandCoachPluginManager, PluginFailure, call_each, call_first
from skill.progression import Progression, SessionRecord
from skill.routines import (
    BANDS_BY_VALUE,
    EXTRA_SETS_LIMIT,
    MAX_MINUTES,
    BandLevel,
    Exercise,
    Place,
    Routine,
    Step,
    Variant,
)
from skill.timeline import Cue, Timeline, build_timeline

logger = logging.getLogger(__name__)

FIT_LOCALE = "en-US"  # fits are measured in these words, so a Place's blocks are the same exercises in every locale
# How many timelines and fits a catalog keeps. Their keys come from requests (band, length, extra sets,
# locale, what a runner knows): some 10^5 combinations, so an unbounded memo is a memory leak anyone can
# drive. Measured: a timeline holds ~230 kB of resident memory and costs ~10 ms to build; a fit ~15 kB
# and ~50 ms. 48 timelines stay near 11 MB (tests/test_forged_state_memory.py keeps the whole app within
# 20 MB of growth); the runners one process serves at a time share far fewer combinations than that.
TIMELINE_MEMO = 48
FIT_MEMO = 128

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A least-recently-used memo holding at most `size` values; safe to share between request threads.

    The lock guards only the bookkeeping: a value is computed outside it, so two threads missing the same
    key at once both compute it (the results are equal and pure) rather than one waiting for the other.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a memo holds at least one value")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value for `key`, made by `make()` on a miss and kept (the least recently used one goes)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


def normalise(spoken: str) -> str:
    """Lowercase, strip punctuation and articles, fold spaces: how spoken names are compared."""
    words = re.sub(r"[^a-z0-9 ]+", " ", spoken.lower().replace("-", " ")).split()
    return " ".join(w for w in words if w not in {"a", "an", "the", "my", "band"}) or " ".join(words)


@dataclass(slots=True)
class Catalog:
    """Everything the plugins offer, checked for clashes and dangling references."""

    pm: BandCoachPluginManager
    exercises: dict[str, Exercise] = field(default_factory=dict)
    routines: dict[str, Routine] = field(default_factory=dict)
    band_names: dict[str, BandLevel] = field(default_factory=dict)
    exercise_owner: dict[str, str] = field(default_factory=dict)
    _timelines: Memo[tuple[Any, ...], Timeline] = field(default_factory=lambda: Memo(TIMELINE_MEMO))
    _fits: Memo[tuple[str, int, int], Fit] = field(default_factory=lambda: Memo(FIT_MEMO))
    # (routine id, variant) -> (the routine derived from, its shape): at most one per routine and variant.
    _shapes: dict[tuple[str, Variant], tuple[Routine, Routine]] = field(default_factory=dict)
    # Normalised spoken name -> item, built once: resolving a slot is a dict lookup per request.
    _routine_names: dict[str, Routine] = field(default_factory=dict)
    _exercise_names: dict[str, Exercise] = field(default_factory=dict)
    _band_index: dict[str, BandLevel] = field(default_factory=dict)

    @classmethod
    def build(cls, pm: BandCoachPluginManager) -> Catalog:
        """Gather and validate; a bad contribution is reported with its plugin's name and skipped."""
        catalog = cls(pm)
        catalog._gather_exercises()
        catalog._gather_routines()
        catalog._gather_band_names()
        catalog._routine_names = _name_index(catalog.routines)
        catalog._exercise_names = _name_index(catalog.exercises)
        for name, level in catalog.band_names.items():
            catalog._band_index.setdefault(normalise(name), level)
        return catalog

    @property
    def failures(self) -> list[PluginFailure]:
        return self.pm.failures

    def _gather_exercises(self) -> None:
        for plugin, items in self._collect("bandcoach_exercises"):
            for ex in self._typed(plugin, items, Exercise, "bandcoach_exercises"):
                if ex.id in self.exercises:
                    self._reject(plugin, f"exercise {ex.id!r} is already defined by {self.exercise_owner[ex.id]}")
                    continue
                self.exercises[ex.id] = ex
                self.exercise_owner[ex.id] = plugin
        for ex in list(self.exercises.values()):  # an easier option must exist, or the pain path offers nothing
            if ex.easier and ex.easier not in self.exercises:
                self._reject(self.exercise_owner[ex.id],
                             f"exercise {ex.id!r} names an unknown easier exercise {ex.easier!r}, so that link is")
                self.exercises[ex.id] = replace(ex, easier="")

    def _gather_routines(self) -> None:
        for plugin, items in self._collect("bandcoach_routines"):
            for routine in self._typed(plugin, items, Routine, "bandcoach_routines"):
                missing = [s.exercise for s in routine.steps if s.exercise not in self.exercises]
                empty = [v.value for v in Variant if not routine.steps_of(v)]
                if missing:
                    self._reject(plugin, f"routine {routine.id!r} names unknown exercises {missing}")
                elif empty:
                    self._reject(plugin, f"routine {routine.id!r} has no step in its {empty[0]} length; "
                                         "give at least one step that length in its variants")
                elif routine.id in self.routines:
                    first = self.routines[routine.id].plugin
                    self._reject(plugin, f"routine {routine.id!r} is already offered by {first}")
                else:
                    self.routines[routine.id] = replace(routine, plugin=plugin)

    def _gather_band_names(self) -> None:
        self.band_names = dict(BANDS_BY_VALUE)  # the level names; plugins' colours join them
        for plugin, mapping in self._collect("bandcoach_band_aliases"):
            if not isinstance(mapping, dict):
                self._reject(plugin, "bandcoach_band_aliases must return a dict")
                continue
            for name, level in mapping.items():
                if isinstance(level, BandLevel) and isinstance(name, str):
                    self.band_names.setdefault(name.lower().strip(), level)

    def _collect(self, hook: str) -> list[tuple[str, Any]]:
        """A collecting hook's results in registration order (pluggy calls the newest first), so a
        built-in keeps its ids and colours and a later plugin's clash is the one rejected."""
        return list(reversed(list(call_each(self.pm, hook))))

    def _typed(self, plugin: str, items: Any, kind: type, hook: str) -> list[Any]:
        if not isinstance(items, list | tuple):
            self._reject(plugin, f"{hook} must return a list, not {type(items).__name__}")
            return []
        good = [item for item in items if isinstance(item, kind)]
        if len(good) != len(items):
            self._reject(plugin, f"{hook} returned {len(items) - len(good)} item(s) that are not {kind.__name__}")
        return good

    def _reject(self, plugin: str, why: str) -> None:
        logger.error("plugin %r: %s; skipped", plugin, why)
        self.pm.record_failure(plugin, why)

    # --- resolving what a runner said ---------------------------------------------------------

    def find_routine(self, spoken: str | None) -> Routine | None:
        """The routine whose id, name or alias matches `spoken`, if any."""
        return self._routine_names.get(normalise(spoken)) if spoken else None

    def find_exercise(self, spoken: str | None) -> Exercise | None:
        """The exercise whose id, name or alias matches `spoken`, if any."""
        return self._exercise_names.get(normalise(spoken)) if spoken else None

    def find_band(self, spoken: str | None) -> BandLevel | None:
        """The band level named by `spoken` ("heavy", "green"...), if any."""
        return self._band_index.get(normalise(spoken)) if spoken else None

    # --- timelines ------------------------------------------------------------------------------

    def timeline(
        self, routine_id: str, *, band: BandLevel | None = None, variant: Variant = Variant.STANDARD,
        locale: str = "en-US", extra_sets: int = 0, minutes: int = 0, familiar: frozenset[str] = frozenset(),
        swap: tuple[int, str] | None = None, eased: frozenset[str] = frozenset(),
    ) -> Timeline:
        """The worded timeline of a routine, first fitted to `minutes` when given (the variant is then
        ignored: a fit starts from the standard form); memoised per catalog because it is pure, the
        TIMELINE_MEMO most recently used. `extra_sets` and `minutes` outside Catalog.clamped's ranges raise
        ValueError rather than become one more memo key.

        `familiar`: exercise ids the runner knows, coached with a short reminder instead of the whole
        setup (only those in this routine count, so the memo stays small). `swap` (block, exercise id):
        that block's exercise replaced by another at the same sets and rest (the easier option).
        `eased`: exercise ids coached as their easier option throughout (they hurt recently).
        """
        routine = self.routines[routine_id]
        level = band or routine.band
        if not (0 <= extra_sets <= EXTRA_SETS_LIMIT and 0 <= minutes <= MAX_MINUTES):  # Catalog.clamped's ranges
            raise ValueError(f"extra sets must be 0-{EXTRA_SETS_LIMIT} and minutes 0-{MAX_MINUTES}, "
                             f"not {extra_sets} and {minutes}")
        if minutes > 0:
            variant = Variant.STANDARD
        mine = {s.exercise for s in routine.steps}
        known = frozenset(familiar) & mine
        easier = frozenset(e for e in eased if e in mine and self.exercises[e].easier)
        key = (routine_id, level, variant, locale, extra_sets, minutes, known, swap, easier)

        def make() -> Timeline:
            shaped = self.fit(routine_id, minutes, extra_sets=extra_sets).routine if minutes > 0 \
                else self.shape(routine_id, variant)
            for block, step in enumerate(shaped.steps):
                if step.exercise in easier:
                    shaped = swapped(shaped, block, self.exercises[step.exercise].easier)
            if swap is not None:
                shaped = swapped(shaped, *swap)
            return build_timeline(shaped, self.exercises, band=level, wording=self.cue_text, locale=locale,
                                  extra_sets=extra_sets, familiar=known)

        return self._timelines.get(key, make)

    def easier_options(self, exercise_id: str) -> tuple[str, ...]:
        """The exercises that may stand in for `exercise_id`: its easier option, that one's, and so on."""
        chain: list[str] = []
        current = self.exercises.get(exercise_id)
        while current is not None and current.easier and current.easier not in chain and current.easier != exercise_id:
            chain.append(current.easier)
            current = self.exercises.get(current.easier)
        return tuple(chain)

    def harder_options(self, exercise_id: str) -> tuple[str, ...]:
        """The exercises one step harder than `exercise_id`: those whose easier option it is."""
        return tuple(e.id for e in self.exercises.values() if e.easier == exercise_id)

    def timeline_at(self, place: Place, locale: str = "en-US", *, familiar: frozenset[str] = frozenset(),
                    swap: str | None = None, eased: frozenset[str] = frozenset()) -> Timeline:
        """The timeline a workout at `place` walks through, fitted to `place.minutes` when set (memoised);
        `swap` names an exercise to coach in place of the one at `place.block`."""
        return self.timeline(place.routine, band=place.band, variant=place.variant, locale=locale,
                             extra_sets=place.extra_sets, minutes=place.minutes, familiar=familiar,
                             swap=(place.block, swap) if swap else None, eased=eased)

    def fit(self, routine_id: str, minutes: int, *, extra_sets: int = 0) -> Fit:
        """The routine fitted to `minutes` (1-MAX_MINUTES) by whole exercises, and whether that is within a minute.

        Memoised per (routine, minutes, extra sets), the FIT_MEMO most recently used. Measured on the
        routine's own band in FIT_LOCALE's words, so the same Place walks the same exercises whatever the
        band or locale.
        """
        if not 1 <= minutes <= MAX_MINUTES:
            raise ValueError(f"minutes must be 1-{MAX_MINUTES}, not {minutes}")
        if not 0 <= extra_sets <= EXTRA_SETS_LIMIT:
            raise ValueError(f"extra sets must be 0-{EXTRA_SETS_LIMIT}, not {extra_sets}")

        def make() -> Fit:
            routine = self.shape(routine_id, Variant.STANDARD)
            long = self.shape(routine_id, Variant.LONG)
            # The plans a fit times share most of their cues, so their words are looked up once per fit;
            # the timeline a runner walks is built afresh from the plugins' words.
            said: dict[str, str] = {}

            def words(cue: Cue, locale: str) -> str:
                line = f"{cue.kind}|{sorted(cue.params.items())!r}"
                if line not in said:
                    said[line] = self.cue_text(cue, locale)
                return said[line]

            def time(shaped: Routine) -> Timeline:
                return build_timeline(shaped, self.exercises, band=routine.band, wording=words,
                                      locale=FIT_LOCALE, extra_sets=extra_sets)

            return fit_routine(routine, minutes, lend=borrowable(routine, self.routines.values()),
                               exercises=self.exercises, time=time, long=long)

        return self._fits.get((routine_id, minutes, extra_sets), make)

    def clamped(self, place: Place) -> Place | None:
        """`place` made safe to use: None for a routine no longer offered, extra sets and block in range.

        A place already in range is returned as it is (every "next" checks one; no copy is made).
        """
        if place.routine not in self.routines:
            return None
        # Clamp before anything is memoised: a fit is kept per distinct extra-sets value and length.
        extra_sets = max(0, min(place.extra_sets, EXTRA_SETS_LIMIT))
        minutes = max(0, min(place.minutes, MAX_MINUTES))
        block = max(0, min(place.block, self._block_count(place.routine, place.variant, minutes, extra_sets) - 1))
        if (extra_sets, minutes, block) == (place.extra_sets, place.minutes, place.block):
            return place
        return replace(place, extra_sets=extra_sets, minutes=minutes, block=block)

    def block_count(self, place: Place) -> int:
        """How many blocks the timeline at `place` has: one per exercise of its shape (fitted, or the variant's),
        whatever the band, locale, swaps or wording, so no worded timeline is built or memoised to count them."""
        return self._block_count(place.routine, place.variant, place.minutes, place.extra_sets)

    def _block_count(self, routine_id: str, variant: Variant, minutes: int, extra_sets: int) -> int:
        if minutes > 0:
            return len(self.fit(routine_id, minutes, extra_sets=extra_sets).routine.steps)
        return len(self.shape(routine_id, variant).steps)

    def shape(self, routine_id: str, variant: Variant) -> Routine:
        """The routine's steps at `variant` (`Routine.derive`), kept per catalog: every request that checks a
        place counts its blocks. One entry per routine and variant at most, remade if the routine was replaced."""
        routine = self.routines[routine_id]
        kept = self._shapes.get((routine_id, variant))
        if kept is None or kept[0] is not routine:
            kept = (routine, routine.derive(variant))
            self._shapes[(routine_id, variant)] = kept
        return kept[1]

    def is_last(self, place: Place) -> bool:
        """Whether `place` is at its timeline's last block."""
        return place.block >= self.block_count(place) - 1

    def variant_for_minutes(self, routine_id: str, minutes: float | None) -> Variant:
        """The variant whose length is nearest to `minutes` (standard when no minutes are given)."""
        if not minutes or minutes <= 0:
            return Variant.STANDARD
        return min(Variant, key=lambda v: abs(self.timeline(routine_id, variant=v).seconds - minutes * 60))

    def cue_text(self, cue: Cue, locale: str) -> str:
        """The words for a cue from the first plugin that answers; a plugin bug falls back to the next."""
        text = call_first(self.pm, "bandcoach_cue_text", cue=cue, locale=locale)
        return text if isinstance(text, str) and text.strip() else cue.kind.replace("_", " ")

    def progression(
        self, routine_id: str, history: Sequence[SessionRecord], *, band: BandLevel | None = None,
        pain: Mapping[str, datetime] | None = None, owned: Sequence[BandLevel] = (),
    ) -> Progression | None:
        """What the plugins suggest for this routine next time, given the runner's history, recent pain and
        bands; a band the runner lacks is never the answer, whatever a plugin says."""
        result = call_first(self.pm, "bandcoach_progression", routine=self.routines[routine_id], history=history,
                            band=band, pain=dict(pain or {}), owned=tuple(owned))
        if not isinstance(result, Progression) or (owned and result.band not in owned):
            return None
        return replace(result, extra_sets=max(0, min(result.extra_sets, EXTRA_SETS_LIMIT)))


def _name_index(table: dict[str, Any]) -> dict[str, Any]:
    """Normalised id, name and alias -> item; ids win over names, earlier items over later ones."""
    index: dict[str, Any] = {normalise(item_id): item for item_id, item in reversed(table.items())}
    for item in table.values():
        for name in item.spoken_names:
            index.setdefault(normalise(name), item)
    return index


def swapped(routine: Routine, block: int, exercise: str) -> Routine:
    """`routine` with step `block` doing `exercise` instead, at the same sets and rest; the step's own
    reps, hold or interval are dropped, since they were chosen for the exercise it replaces."""
    steps = list(routine.steps)
    if not 0 <= block < len(steps):
        raise ValueError(f"routine {routine.id!r} has no block {block}")
    old = steps[block]
    steps[block] = Step(exercise, sets=old.sets, rest_seconds=old.rest_seconds, variants=old.variants)
    return replace(routine, steps=tuple(steps))
