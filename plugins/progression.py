"""The built-in progression rule, by routine kind, as a trylast hook: strength climbs sets then bands the
runner owns, a warm-up only its band (up to medium), a stretch never; gated by workouts done and how
they felt, held by pain, eased back after a layoff by how long it was.

Trylast, so any plugin can suggest differently; docs/coaching.md has the rule as a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from skill import BandLevel, Change, Progression, Rating, Routine, RoutineKind, SessionRecord, Variant, hookimpl


@hookimpl(trylast=True)
def bandcoach_progression(routine: Routine, history: Sequence[SessionRecord], band: BandLevel | None,
                          pain: Mapping[str, datetime], owned: Sequence[BandLevel]) -> Progression:
    """The rule of docs/coaching.md: see next_progression."""
    return next_progression(routine, history, now=datetime.now(UTC), band=band, pain=pain, owned=owned)


# The coaching rules; docs/coaching.md has them as a table. Change them here and there together.
SESSIONS_TO_PROGRESS = 2  # good workouts at one level before moving up
STRENGTH_SPACING = timedelta(hours=48)  # strength workouts closer than this count once (muscles need the rest)
ACTIVATION_SPACING = timedelta(hours=12)  # a warm-up counts once a day, however many runs
MAX_EXTRA_SETS = 2  # extra sets added before the next band instead
ACTIVATION_TOP = BandLevel.MEDIUM  # a warm-up wakes muscles up; it never goes heavier, nor longer
PAIN_HOLD = timedelta(days=14)  # an exercise that hurt this recently holds the routine where it is
# Days off -> steps back down the ladder; at RESTART_AFTER or more, back to the start.
LAYOFF_STEPS: tuple[tuple[timedelta, int], ...] = ((timedelta(days=14), 1), (timedelta(days=28), 2))
RESTART_AFTER = timedelta(days=42)

Level = tuple[BandLevel, int]  # a band and extra sets


def next_progression(
    routine: Routine,
    history: Sequence[SessionRecord],
    *,
    now: datetime,
    band: BandLevel | None = None,
    pain: Mapping[str, datetime] | None = None,
    owned: Sequence[BandLevel] = (),
) -> Progression:
    """What to suggest for `routine` next time, from this runner's `history` (oldest first). Pure.

    `band`: the band the runner said they use now (it wins over the last workout's, keeping its extra
    sets); `pain`: exercise ids and when they last hurt; `owned`: the bands the runner has (empty when
    not known: then any band may be suggested). Sessions of other routines are ignored.
    """
    own = [s for s in history if s.routine == routine.id]
    ladder = _ladder(routine.kind, owned)
    name = routine.name
    if routine.kind is RoutineKind.MOBILITY:
        return Progression(BandLevel.LIGHT, 0, Change.SAME,
                           f"{name} stays on a light band: ease a little deeper as it feels easier.")
    if not own:
        start = (_nearest(ladder, (band or routine.band, 0))[0], 0)
        return Progression(*start, Change.SAME, f"Let's start {name} with the {start[0]} band.")
    last = own[-1]
    current = _nearest(ladder, (band or last.band, last.extra_sets))
    gap = now - last.started_at
    if gap >= LAYOFF_STEPS[0][0]:
        return _ease_back(name, ladder, current, gap)
    hurt = {exercise for exercise, when in (pain or {}).items() if now - when < PAIN_HOLD}
    if hurt & {step.exercise for step in routine.steps}:
        return Progression(*current, Change.SAME, f"Something hurt in {name} recently, so we'll keep it where it is.")
    good = _good_in_a_row(own, current, routine.kind)
    if good is None:
        return Progression(*current, Change.SAME, f"{name} felt hard last time, so we'll keep it where it is.")
    if good < SESSIONS_TO_PROGRESS:
        more = "one more good workout" if SESSIONS_TO_PROGRESS - good == 1 else \
            f"{SESSIONS_TO_PROGRESS - good} more good workouts"
        return Progression(*current, Change.SAME, f"Same as last time: {more} of {name} and we'll build up.")
    return _step_up(name, ladder, current, owned, routine.kind)


def _ladder(kind: RoutineKind, owned: Sequence[BandLevel]) -> list[Level]:
    """The levels of a routine kind, easiest first, on the bands the runner has (all when not known)."""
    bands = [b for b in BandLevel if not owned or b in owned] or [BandLevel.LIGHT]
    if kind is RoutineKind.ACTIVATION:
        order = list(BandLevel)
        return [(b, 0) for b in bands if order.index(b) <= order.index(ACTIVATION_TOP)] or [(bands[0], 0)]
    return [(b, extra) for b in bands for extra in range(MAX_EXTRA_SETS + 1)]


def _nearest(ladder: list[Level], level: Level) -> Level:
    """`level` itself when on the ladder, else the highest rung not above it (the lowest rung at worst)."""
    if level in ladder:
        return level
    order = list(BandLevel)
    below = [r for r in ladder if (order.index(r[0]), r[1]) <= (order.index(level[0]), level[1])]
    return below[-1] if below else ladder[0]


def _good_in_a_row(sessions: Sequence[SessionRecord], level: Level, kind: RoutineKind) -> int | None:
    """Good workouts at `level`, newest back; None when the newest counted one felt hard.

    A workout counts when it was completed (the timed work done) at this level and at least the
    kind's spacing after the next one counted; rated easy, about right, or not rated. A stopped
    workout, a short variant, or one too soon after another neither counts nor resets anything; a
    workout at another level ends the run.
    """
    spacing = STRENGTH_SPACING if kind is RoutineKind.STRENGTH else ACTIVATION_SPACING
    count, later = 0, None
    for s in reversed(sessions):
        if not s.completed or s.variant is Variant.SHORT:
            continue
        if (s.band, min(s.extra_sets, MAX_EXTRA_SETS)) != level:
            break
        if later is not None and later - s.started_at < spacing:
            continue  # two workouts in one evening are one
        if s.rating is Rating.HARD:
            return None if count == 0 else count
        count, later = count + 1, s.started_at
    return count


def _step_up(name: str, ladder: list[Level], current: Level, owned: Sequence[BandLevel],
             kind: RoutineKind) -> Progression:
    """One rung up: a set, or the next band the runner has; at the top, say what would come next."""
    index = ladder.index(current)
    if index + 1 < len(ladder):
        up = ladder[index + 1]
        if up[0] is current[0]:
            return Progression(*up, Change.ADD_SET, f"{name} has felt good twice: let's add a set.")
        return Progression(*up, Change.BAND_UP,
                           f"{name} has felt good with every extra set: time for your {up[0]} band.")
    heavier = [b for b in BandLevel if list(BandLevel).index(b) > list(BandLevel).index(current[0])]
    if kind is RoutineKind.STRENGTH and heavier and owned:
        return Progression(*current, Change.SAME,
                           f"You're ready for a {heavier[0]} band in {name}. Tell me when you have one.")
    return Progression(*current, Change.SAME, f"{name} is at its top level: keep it up.")


def _ease_back(name: str, ladder: list[Level], current: Level, gap: timedelta) -> Progression:
    """Back down the ladder by the length of the layoff: a step or two, or a fresh start after six weeks."""
    days = gap.days
    if gap >= RESTART_AFTER:
        start = ladder[0]
        return Progression(*start, Change.STEP_BACK if start != current else Change.SAME,
                           f"It's been {days} days since your last {name}: we'll start again gently, "
                           f"on the {start[0]} band.")
    steps = max(n for limit, n in LAYOFF_STEPS if gap >= limit)
    down = ladder[max(0, ladder.index(current) - steps)]
    if down == current:
        return Progression(*current, Change.SAME, f"It's been {days} days since your last {name}: "
                                                  "welcome back, we'll keep it easy.")
    what = "one step" if steps == 1 else "two steps"
    return Progression(*down, Change.STEP_BACK,
                       f"It's been {days} days since your last {name}: we'll ease back in, {what} lighter.")
