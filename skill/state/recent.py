"""The bounded part of a runner's state that requests read: the newest sessions of each routine and a day tally.

A request never reads the whole history: what progression, resume and "how am I doing?" need is kept
as aggregates, maintained on every write from the sessions added and removed, so a runner with 700
workouts costs a request what a runner with 10 does. The full history stays for `bandcoach progress`
and exports (`Store.load`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date

from skill.progression import SessionRecord

# The newest sessions of each routine kept in the recent view. The built-in progression rule reads back
# from the newest until it has two good workouts at one level (docs/coaching.md), and resuming or ending a
# workout only ever looks at the newest of its routine; four leaves room for a stopped or too-soon one.
ROUTINE_SESSIONS = 4
STREAK_REACH_DAYS = 400  # days tallied back from the newest workout day: streaks longer than this show as this

Numbered = tuple[int, SessionRecord]  # a history row's seq (its order in the full history) and its record


def window(numbered: Sequence[Numbered]) -> tuple[Numbered, ...]:
    """The newest ROUTINE_SESSIONS sessions of each routine in `numbered` (oldest first), in history order."""
    seen: Counter[str] = Counter()
    keep = []
    for seq, record in reversed(numbered):
        seen[record.routine] += 1
        if seen[record.routine] <= ROUTINE_SESSIONS:
            keep.append((seq, record))
    keep.reverse()
    return tuple(keep)


def history_change(old: Sequence[SessionRecord], new: Sequence[SessionRecord], numbered: Sequence[Numbered]
                   ) -> tuple[list[Numbered], list[Numbered], list[SessionRecord]]:
    """How `new` differs from `old` (numbered by `numbered`): rows removed, rows edited in place, records added.

    Appending (after dropping some of the oldest) and editing in place (a rating) are the changes the skill
    makes; any other rewrite removes the recent rows from the first difference on and appends the rest.
    """
    if new is old or tuple(new) == tuple(old):
        return [], [], []
    if not old:
        return [], [], list(new)
    drop = _dropped_from_front(old, new)
    if drop < len(old):
        return list(numbered[:drop]), [], list(new[len(old) - drop:])
    same = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    if len(old) == len(new):
        return [], [(numbered[i][0], new[i]) for i in range(same, len(new)) if new[i] != old[i]], []
    return list(numbered[same:]), [], list(new[same:])


def _dropped_from_front(old: Sequence[SessionRecord], new: Sequence[SessionRecord]) -> int:
    """How many of the oldest `old` sessions are gone, when `new` is the rest of `old` plus additions
    (len(old) when it is not)."""
    for drop in range(len(old)):
        kept = len(old) - drop
        if len(new) >= kept and tuple(new[:kept]) == tuple(old[drop:]):
            return drop
    return len(old)


def day_of(record: SessionRecord) -> int:
    """The UTC calendar day a workout counts for (its start), as a date ordinal."""
    return record.started_at.astimezone(UTC).date().toordinal()


COUNTED_DAYS = 7  # the newest days whose workouts are counted one by one: enough for "this week"


@dataclass(frozen=True, slots=True)
class Days:
    """Which days had a completed workout, as a bitmap back from the newest (bit i: `newest` - i), and the
    workouts of each of the newest COUNTED_DAYS days: a streak and this week's count, in a few bytes."""

    newest: int = 0  # date ordinal; 0: no workout yet
    bits: int = 0
    counts: tuple[tuple[int, int], ...] = ()  # (date ordinal, workouts), days newest - 6 .. newest

    def counted(self, *, added: Iterable[SessionRecord] = (), removed: Iterable[SessionRecord] = ()) -> Days:
        """These days with the completed workouts `added` counted and those `removed` taken back. A removed
        workout older than the counted days leaves its day marked: other workouts may have filled it."""
        newest, bits, counts = self.newest, self.bits, dict(self.counts)
        for record in added:
            if not record.completed:
                continue
            day = day_of(record)
            if day > newest:
                bits, newest = (bits << (day - newest)) if newest else 0, day
            if newest - day < STREAK_REACH_DAYS:
                bits |= 1 << (newest - day)
            counts[day] = counts.get(day, 0) + 1
        for record in removed:
            day = day_of(record)
            if record.completed and day in counts:
                counts[day] -= 1
                if counts[day] <= 0 and newest - day < STREAK_REACH_DAYS:
                    bits &= ~(1 << (newest - day))
        bits &= (1 << STREAK_REACH_DAYS) - 1
        kept = tuple(sorted((d, n) for d, n in counts.items() if n > 0 and newest - d < COUNTED_DAYS))
        return Days(newest, bits, kept)

    def workout_days(self) -> dict[date, int]:
        """Days with a completed workout -> how many (1 for days before the counted ones: at least one)."""
        found = {date.fromordinal(self.newest - i): 1 for i in range(self.bits.bit_length()) if self.bits >> i & 1}
        found.update((date.fromordinal(d), n) for d, n in self.counts)
        return found


def tally(days: Days = Days(), *, added: Iterable[SessionRecord] = (),
          removed: Iterable[SessionRecord] = ()) -> Days:
    """`days` (none by default) with `added` counted and `removed` taken back."""
    return days.counted(added=added, removed=removed)


class DayTally:
    """A runner's Days as stored (JSON text), parsed on first use: only "how am I doing?" and a write that
    adds a workout read it."""

    __slots__ = ("_days", "_text")

    def __init__(self, days: Days | None = None, *, text: str | None = None) -> None:
        self._days = days if text is None else None
        self._text = text

    def days(self) -> Days:
        """The parsed tally (no workout: Days())."""
        if self._days is None:
            stored = json.loads(self._text or "{}") or {}
            self._days = Days(int(stored.get("newest", 0)), int(stored.get("bits", "0"), 16),
                              tuple((int(d), int(n)) for d, n in stored.get("counts", ())))
        return self._days

    def text(self) -> str:
        """The JSON the store keeps (the text read, when it was never changed)."""
        if self._text is None:
            days = self.days()
            self._text = json.dumps({"newest": days.newest, "bits": format(days.bits, "x"),
                                     "counts": [list(c) for c in days.counts]}, separators=(",", ":"))
        return self._text

    def __bool__(self) -> bool:
        return self.days().newest > 0

    def __repr__(self) -> str:
        return f"DayTally({self.text()})"
