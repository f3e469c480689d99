"""The built-in progression rule (more sets, then a heavier band, a step back after a long break) as a trylast hook.

Trylast, so any plugin can suggest differently; docs/coaching.md has the rule as a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from skill import BandLevel, Change, Progression, Routine, SessionRecord, Variant, hookimpl


@hookimpl(trylast=True)
def bandcoach_progression(routine: Routine, history: Sequence[SessionRecord], band: BandLevel | None,
                          pain: Mapping[str, datetime]) -> Progression:
    """More sets, then a heavier band, a step back after a long break, never past pain: see docs/coaching.md."""
    return next_progression(routine, history, now=datetime.now(UTC), band=band, pain=pain)


# The coaching rules; docs/coaching.md has them as a table. Change them here and there together.
SESSIONS_TO_PROGRESS = 3  # completed sessions in a row at one level before moving up
MAX_EXTRA_SETS = 2  # extra sets added before the next band instead
LONG_BREAK = timedelta(days=14)  # a gap this long steps the runner back one notch
PAIN_HOLD = timedelta(days=14)  # an exercise that hurt this recently holds the routine where it is
_COUNT_WORDS = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}


def next_progression(
    routine: Routine,
    history: Sequence[SessionRecord],
    *,
    now: datetime,
    band: BandLevel | None = None,
    pain: Mapping[str, datetime] | None = None,
) -> Progression:
    """What to suggest for `routine` next time, from this runner's `history` (oldest first).

    `band` is the runner's current band for the routine when they chose one since (SetBandIntent);
    otherwise the band of the last session, or the routine's own band for a first workout.
    `pain` maps exercise ids to when they last hurt: while one of this routine's did within
    PAIN_HOLD, nothing goes up. Sessions of other routines in `history` are ignored. Pure: `now` is passed in.
    """
    own = [s for s in history if s.routine == routine.id]
    name = routine.name
    if not own:
        start = band or routine.band
        return Progression(start, 0, Change.SAME, f"Let's start {name} with the {start} band.")
    last = own[-1]
    current = band or last.band
    extra = min(last.extra_sets, MAX_EXTRA_SETS) if current is last.band else 0
    if now - last.started_at >= LONG_BREAK:
        return _step_back(name, current, extra, (now - last.started_at).days)
    streak = _streak_at(own, current, extra)
    hurt = {exercise for exercise, when in (pain or {}).items() if now - when < PAIN_HOLD}
    if streak >= SESSIONS_TO_PROGRESS and hurt & {step.exercise for step in routine.steps}:
        return Progression(current, extra, Change.SAME,
                           f"Something hurt in {name} recently, so we'll keep it where it is for now.")
    if streak < SESSIONS_TO_PROGRESS:
        to_go = SESSIONS_TO_PROGRESS - streak
        more = "one more full session" if to_go == 1 else f"{to_go} more full sessions"
        return Progression(current, extra, Change.SAME, f"Same as last time: {more} of {name} and we'll build up.")
    done = _COUNT_WORDS.get(streak, f"{streak} times")
    if extra < MAX_EXTRA_SETS:
        return Progression(current, extra + 1, Change.ADD_SET,
                           f"You finished {name} {done} in a row: let's add a set.")
    if current is not BandLevel.HEAVY:
        up = current.step(+1)
        return Progression(up, 0, Change.BAND_UP,
                           f"You finished {name} {done} in a row with every extra set: time for the {up} band.")
    return Progression(current, extra, Change.SAME,
                       f"You finished {name} {done} in a row on the heavy band, the top level: keep it up.")


def _streak_at(sessions: Sequence[SessionRecord], band: BandLevel, extra_sets: int) -> int:
    """Completed sessions in a row, newest back, at this band and set count.

    A stopped session or one at another level ends the streak; a short-variant session neither
    counts nor breaks it (it has fewer sets than the level being tested).
    """
    count = 0
    for s in reversed(sessions):
        if s.variant is Variant.SHORT and s.completed:
            continue
        if not s.completed or s.band is not band or min(s.extra_sets, MAX_EXTRA_SETS) != extra_sets:
            break
        count += 1
    return count


def _step_back(name: str, band: BandLevel, extra_sets: int, days: int) -> Progression:
    """One notch easier after a long break: a set fewer, or the band below when there are none."""
    gap = f"It's been {days} days since your last {name}"
    if extra_sets > 0:
        return Progression(band, extra_sets - 1, Change.STEP_BACK, f"{gap}: we'll take one set off to ease back in.")
    if band is not BandLevel.LIGHT:
        down = band.step(-1)
        return Progression(down, 0, Change.STEP_BACK, f"{gap}: we'll ease back in with the {down} band.")
    return Progression(band, 0, Change.SAME, f"{gap}: welcome back, we'll keep it easy on the light band.")
