"""A runner's week: the day words runners say, the routines around their runs, and the reminders the week needs.

Pure: the catalog's routines say what is installed; nothing here knows Alexa, the store or a clock.
The coaching rules (docs/plan.md): the warm-up before every run and the stretch after it, glute
strength twice a week on days apart and off the run days where the week allows, at least one full
rest day, and the desk routine offered on workdays.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time

from skill.routines import Routine, RoutineKind

DAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")  # 0 = Monday
_SHORT: tuple[str, ...] = tuple(day[:3] for day in DAYS)  # "mon": the pieces of a RUN_DAYS value id
WORKDAYS = frozenset(range(5))
WEEK = frozenset(range(7))
DEFAULT_REMINDER_TIME = time(18, 0)  # when reminders ring unless the runner names a time


# --- the day words: the RUN_DAYS slot values and reading what was heard -----------------------------

# Whole weeks runners name at once; each is a synonym of the list of its days.
_GROUPS: dict[frozenset[int], tuple[str, ...]] = {
    WORKDAYS: ("weekdays", "every weekday", "workdays", "work days", "monday to friday", "monday through friday"),
    frozenset({5, 6}): ("weekends", "the weekend", "every weekend", "at the weekend", "on the weekend"),
    WEEK: ("every day", "everyday", "daily", "all week", "seven days a week", "every single day"),
}
_WORDS: dict[str, frozenset[int]] = {
    **{day: frozenset({n}) for n, day in enumerate(DAYS)},
    **{day + "s": frozenset({n}) for n, day in enumerate(DAYS)},
    "weekday": WORKDAYS, "weekdays": WORKDAYS, "workdays": WORKDAYS,
    "weekend": frozenset({5, 6}), "weekends": frozenset({5, 6}),
    "everyday": WEEK, "daily": WEEK,
}
_UNTIL = frozenset({"to", "through", "thru", "till", "until"})  # "monday to friday": every day between
_PHRASES: dict[str, frozenset[int]] = {"every day": WEEK, "all week": WEEK, "seven days a week": WEEK,
                                     "every single day": WEEK, "work days": WORKDAYS}


def days_id(days: Iterable[int]) -> str:
    """The RUN_DAYS value id of a set of weekdays: "mon_wed_sat"."""
    return "_".join(_SHORT[d] for d in sorted(set(days)))


def days_of_id(value_id: str | None) -> frozenset[int]:
    """The weekdays a RUN_DAYS value id names; empty for anything that is not one."""
    parts = (value_id or "").split("_")
    return frozenset(_SHORT.index(p) for p in parts) if all(p in _SHORT for p in parts) else frozenset()


def days_in(spoken: str | None) -> frozenset[int]:
    """The weekdays named in what the runner said ("tuesdays and thursdays", "every weekday", "saturday
    and monday"), in any order; empty when no day is named."""
    words = re.sub(r"[^a-z ]+", " ", (spoken or "").lower()).split()
    padded = f" {' '.join(words)} "
    found = {d for phrase, days in _PHRASES.items() if f" {phrase} " in padded for d in days}
    for at, word in enumerate(words):
        after = words[at + 1:at + 3]
        if word in DAYS and len(after) == 2 and after[0] in _UNTIL and after[1] in DAYS:  # "monday to friday"
            first, last = DAYS.index(word), DAYS.index(after[1])
            found |= {(first + n) % 7 for n in range((last - first) % 7 + 1)}
        found |= _WORDS.get(word, frozenset())
    return frozenset(found)



def run_day_values() -> dict[str, tuple[str, ...]]:
    """Every set of weekdays as runners say it, by value id: the RUN_DAYS slot type.

    One slot holds the whole list ("monday wednesday and saturday"): the model puts no two slots
    side by side, and Alexa matches one slot's published values better than a list of slots.
    """
    values: dict[str, tuple[str, ...]] = {}
    for size in range(1, 8):
        for days in itertools.combinations(range(7), size):
            orders = [days] if 6 not in days or size == 1 else [days, (6, *days[:-1])]  # Sunday-first weeks too
            spoken = [_said(order, plural, with_and) for order in orders for plural in (False, True)
                      for with_and in ((True, False) if size > 1 else (True,))]
            values[days_id(days)] = (*dict.fromkeys(spoken), *_GROUPS.get(frozenset(days), ()))
    return values


def _said(days: tuple[int, ...], plural: bool, with_and: bool) -> str:
    names = [DAYS[d] + ("s" if plural else "") for d in days]
    if with_and and len(names) > 1:
        return f"{' '.join(names[:-1])} and {names[-1]}"
    return " ".join(names)


# --- the week -----------------------------------------------------------------------------------


class Role(enum.Enum):
    """A part a routine plays in the week: the routine id that plays it and the kind it must be."""

    BEFORE_RUN = ("warmup", RoutineKind.ACTIVATION)
    AFTER_RUN = ("recovery", RoutineKind.MOBILITY)
    STRENGTH = ("glutes", RoutineKind.STRENGTH)
    DESK = ("desk", RoutineKind.STRENGTH)

    @property
    def routine(self) -> str:
        return self.value[0]

    def installed(self, routines: Mapping[str, Routine]) -> str | None:
        """The routine id for this role when the catalog has it, as the kind the week needs; else None."""
        found = routines.get(self.routine)
        return found.id if found is not None and found.kind is self.value[1] else None


@dataclass(frozen=True, slots=True)
class Day:
    """One weekday of the plan: a run or not, and the routine id for each part (None: nothing there)."""

    weekday: int
    run: bool = False
    before_run: str | None = None
    after_run: str | None = None
    strength: str | None = None
    desk: str | None = None  # an option on workdays, for runners who sit a lot
    rest: bool = False  # the full rest day: nothing at all

    @property
    def name(self) -> str:
        return DAYS[self.weekday].capitalize()

    @property
    def routines(self) -> tuple[str, ...]:
        """Today's routine ids in the order to do them; the desk routine only on a day with nothing else."""
        main = (self.before_run, self.after_run, self.strength) if self.run else (self.strength,)
        found = tuple(r for r in main if r is not None)
        return found or ((self.desk,) if self.desk else ())


@dataclass(frozen=True, slots=True)
class WeekPlan:
    """Seven days, Monday first."""

    days: tuple[Day, ...]

    @property
    def run_days(self) -> tuple[Day, ...]:
        return tuple(d for d in self.days if d.run)

    @property
    def strength_days(self) -> tuple[Day, ...]:
        return tuple(d for d in self.days if d.strength)

    @property
    def rest_days(self) -> tuple[Day, ...]:
        return tuple(d for d in self.days if d.rest)

    @property
    def desk_days(self) -> tuple[Day, ...]:
        return tuple(d for d in self.days if d.desk)

    @property
    def days_off(self) -> frozenset[int]:
        """The weekdays that need no workout (no run, no strength): a streak is not broken by them."""
        return frozenset(d.weekday for d in self.days if not d.run and not d.strength)

    def day(self, weekday: int) -> Day:
        return self.days[weekday]


def plan_week(running_days: Iterable[int], routines: Mapping[str, Routine]) -> WeekPlan:
    """The week around the runner's runs, with the routines the catalog has (a missing one is left out)."""
    runs = frozenset(running_days)
    if not runs <= WEEK:
        raise ValueError(f"running days must be weekdays 0 (Monday) to 6 (Sunday), not {sorted(runs - WEEK)}")
    before, after = Role.BEFORE_RUN.installed(routines), Role.AFTER_RUN.installed(routines)
    strength, desk = Role.STRENGTH.installed(routines), Role.DESK.installed(routines)
    strong = _strength_days(runs) if strength else frozenset()
    free = WEEK - runs - strong
    rest = max(free) if free else None  # one full rest day, the latest free one: Sunday when it is free
    return WeekPlan(tuple(
        Day(d, run=d in runs, before_run=before if d in runs else None, after_run=after if d in runs else None,
            strength=strength if d in strong else None, desk=desk if d in WORKDAYS and d != rest else None,
            rest=d == rest)
        for d in range(7)))


def _strength_days(runs: frozenset[int]) -> frozenset[int]:
    """Two days for strength: never back to back (the week wraps round), leaving a day free for rest when
    the week allows, off the run days where possible, and as far apart as they go."""
    def cost(pair: tuple[int, int]) -> tuple[bool, bool, int, int, tuple[int, int]]:
        a, b = pair
        apart = min((b - a) % 7, (a - b) % 7)
        leaves_rest = bool(WEEK - runs - set(pair))
        return apart < 2, not leaves_rest, len(runs & set(pair)), -apart, pair

    pairs: list[tuple[int, int]] = list(itertools.combinations(range(7), 2))  # strength twice a week
    best = min(pairs, key=cost)
    return frozenset(best)


# --- reminders ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeeklyReminder:
    """A reminder that rings every week on `weekdays` at `at` (the device's time) for one routine ("": unknown)."""

    routine: str
    weekdays: tuple[int, ...]
    at: time = DEFAULT_REMINDER_TIME


def reminders_for(plan: WeekPlan, at: time = DEFAULT_REMINDER_TIME) -> tuple[WeeklyReminder, ...]:
    """The reminders a week needs: the stretch on run days and strength on strength days.

    No warm-up reminder: it belongs just before a run, and the skill does not know when the runner runs.
    """
    found = []
    for days, routine in ((plan.run_days, next((d.after_run for d in plan.run_days), None)),
                          (plan.strength_days, next((d.strength for d in plan.strength_days), None))):
        if days and routine:
            found.append(WeeklyReminder(routine, tuple(d.weekday for d in days), at))
    return tuple(found)
