"""A routine fitted to a length a runner asked for by whole exercises: dropped, borrowed, or given one more set."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from skill.routines import Exercise, Routine, Step
from skill.timeline import Timeline, worked

WINDOW_SECONDS = 60.0  # a fit is "met" within a minute either side of the length asked for
SEARCH_LIMIT = 4096  # exercise lists estimated per fit: every subset up to 12 steps (the built-ins have 5-6)
VERIFIED = 6  # the best estimates timed on a real timeline before one is chosen
USUAL_REST = 15  # seconds of rest after a borrowed exercise when neither routine says


@dataclass(frozen=True, slots=True)
class Fit:
    """A routine fitted to `minutes`; `seconds` is its timeline's length and `met` whether that is within a minute."""

    routine: Routine
    minutes: int
    seconds: float
    dropped: tuple[str, ...] = ()  # exercise ids of the routine left out
    borrowed: tuple[str, ...] = ()  # exercise ids added from other routines of the same kind
    second_sets: tuple[str, ...] = ()  # exercise ids of the routine given one more set
    added: tuple[str, ...] = ()  # exercise ids of the routine's long form put in

    @property
    def met(self) -> bool:
        return abs(self.seconds - self.minutes * 60) <= WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class _Plan:
    """One way to fit: indices into the pool of steps (the routine's own, borrowed ones, then one-more-set ones)."""

    order: tuple[int, ...]
    dropped: tuple[int, ...] = ()
    borrowed: tuple[int, ...] = ()
    doubled: tuple[int, ...] = ()


def borrowable(routine: Routine, routines: Iterable[Routine]) -> list[Step]:
    """Steps another routine could lend this one: same kind, done in the same setting, an exercise not already here.

    "The same setting" is read as sharing at least one exercise, so the seated desk routine never
    borrows floor work from the glute workout. A lent step keeps its sets, reps and holds; one that
    ended its own routine (no rest after it) takes this routine's usual rest.
    """
    own = {s.exercise for s in routine.steps}
    rest = _usual_rest(routine)
    lent: dict[str, Step] = {}
    for other in routines:
        if other.id == routine.id or other.kind is not routine.kind or not own & {s.exercise for s in other.steps}:
            continue
        for step in other.steps:
            if step.exercise not in own and step.exercise not in lent:
                lent[step.exercise] = step if step.rest_seconds else replace(step, rest_seconds=rest)
    return list(lent.values())


def _usual_rest(routine: Routine) -> int:
    """The routine's most common rest between exercises (the shortest of equals), 15 s if it never rests."""
    counts = Counter(s.rest_seconds for s in routine.steps if s.rest_seconds)
    return min(counts, key=lambda r: (-counts[r], r)) if counts else USUAL_REST


def fit_routine(
    routine: Routine, minutes: int, *, lend: Sequence[Step], exercises: Mapping[str, Exercise],
    time: Callable[[Routine], Timeline], long: Routine | None = None,
) -> Fit:
    """`routine` fitted to `minutes` by whole exercises, every dose kept; `time` builds the timelines measured.

    Too long: drop exercises, keeping routine order, the first exercise and most of its focus; only
    if no set of them lands within a minute, a kept exercise may also take one more set. Too short:
    first the exercises of the routine's `long` form (fitted down from it when it overshoots), then
    `lend` steps, then one more set of the routine's own steps, never going over by more than a
    minute. Out of reach: the closest, with `met` False.
    """
    target = minutes * 60.0
    standard = time(routine)
    if abs(standard.seconds - target) <= WINDOW_SECONDS:
        return Fit(routine, minutes, standard.seconds)
    if standard.seconds < target and long is not None and long.steps != routine.steps:
        fitted = fit_routine(long, minutes, lend=lend, exercises=exercises, time=time)
        kept = {s.exercise for s in fitted.routine.steps}
        mine = {s.exercise for s in routine.steps}
        return replace(fitted, dropped=tuple(s.exercise for s in routine.steps if s.exercise not in kept),
                       added=tuple(s.exercise for s in long.steps if s.exercise in kept - mine))
    own = routine.steps
    n, grow = len(own), standard.seconds < target
    lent = tuple(lend) if grow else ()
    # One more set for any step that rests after it (the last step, with no rest, would go again
    # without a breath) or that is a timed interval of steady movement, which needs no breath between rounds.
    twice = [i for i, s in enumerate(own) if (s.rest_seconds or exercises[s.exercise].work_seconds) and s.sets < 10]
    pool = (*own, *lent, *(replace(own[i], sets=own[i].sets + 1) for i in twice))
    doubled = {i: n + len(lent) + j for j, i in enumerate(twice)}  # routine index -> its one-more-set pool index
    search = _Search(routine, pool, time, target, grow, worked(standard),
                     [set(exercises[s.exercise].targets) for s in pool])
    if grow:
        found = search.best(_growths(n, len(lent), doubled, search.clock, standard.seconds, target))
    else:
        found = search.best(_drops(n, {}, search.clock, target))
        if found is not None and abs(found[1] - target) > WINDOW_SECONDS and doubled:
            found = search.best(_drops(n, doubled, search.clock, target), found)
    if found is None:  # nothing added fits under the ceiling: the routine as it is is the closest honest answer
        return Fit(routine, minutes, standard.seconds)
    best, seconds = found
    ids = [s.exercise for s in pool]
    return Fit(replace(routine, steps=tuple(pool[i] for i in best.order)), minutes, seconds,
               dropped=tuple(ids[i] for i in best.dropped), borrowed=tuple(ids[i] for i in best.borrowed),
               second_sets=tuple(ids[i] for i in best.doubled))


class _Search:
    """Ranks plans: within a minute first, then the first exercise kept, the focus kept, fewest changes, nearest."""

    def __init__(self, routine: Routine, pool: Sequence[Step], time: Callable[[Routine], Timeline], target: float,
                 grow: bool, weights: Mapping[str, float], covered: Sequence[set[str]]) -> None:
        self.routine, self.pool, self.time, self.target, self.grow = routine, pool, time, target, grow
        self.weights, self.covered = weights, covered
        self.clock = _Clock(routine, pool, time)

    def rank(self, plan: _Plan, seconds: float) -> tuple[object, ...]:
        off = seconds - self.target
        inside = abs(off) <= WINDOW_SECONDS
        focus = sum(self.weights.get(p, 0.0) for p in set().union(*(self.covered[i] for i in plan.order)))
        return (not inside, 0.0 if inside else abs(off), 0 in plan.dropped, -round(focus, 6), len(plan.doubled),
                len(plan.dropped) + len(plan.borrowed) + len(plan.doubled), abs(off), plan.order)

    def allowed(self, seconds: float) -> bool:
        return not self.grow or seconds - self.target <= WINDOW_SECONDS  # adding never overshoots by over a minute

    def best(self, plans: Iterable[_Plan], incumbent: tuple[_Plan, float] | None = None) -> tuple[_Plan, float] | None:
        """The best plan by estimate, confirmed on real timelines of the VERIFIED best estimates (and `incumbent`)."""
        capped = itertools.islice(plans, SEARCH_LIMIT)
        estimated = sorted((self.rank(p, e), p) for p in capped if self.allowed(e := self.clock.estimate(p.order)))
        timed = [(self.rank(*incumbent), *incumbent)] if incumbent else []
        for _, plan in estimated[:VERIFIED]:
            seconds = self.time(replace(self.routine, steps=tuple(self.pool[i] for i in plan.order))).seconds
            if self.allowed(seconds):
                timed.append((self.rank(plan, seconds), plan, seconds))
        if not timed:
            return None
        _, plan, seconds = min(timed, key=lambda t: t[0])
        return plan, seconds


class _Clock:
    """Seconds per step, measured once on one probe timeline of the whole pool: a plan's length is then a sum."""

    def __init__(self, routine: Routine, pool: Sequence[Step], time: Callable[[Routine], Timeline]) -> None:
        # The pool's first step again at the end, so every pool step has a real rest after it and the
        # probe's last block carries the outro.
        blocks = time(replace(routine, steps=(*pool, pool[0]))).blocks
        self.intro = sum(c.seconds for c in blocks[0].cues if c.kind == "intro")
        self.outro = sum(c.seconds for c in blocks[-1].rest)
        self.body = [sum(c.seconds for c in b.cues) for b in blocks[:-1]]
        self.body[0] -= self.intro
        self.rest = [sum(c.seconds for c in b.rest) for b in blocks[:-1]]

    def estimate(self, order: Sequence[int]) -> float:
        return (self.intro + sum(self.body[i] for i in order) + sum(self.rest[i] for i in order[:-1]) + self.outro)


def _drops(n: int, doubled: Mapping[int, int], clock: _Clock, target: float) -> Iterator[_Plan]:
    """Every non-empty subset of the routine's steps in routine order, sizes nearest the target first; with
    `doubled`, each also with one more set of some of the steps it keeps."""
    each = (clock.estimate(range(n)) / n) if n else 1.0
    sizes = sorted(range(1, n + 1), key=lambda k: (abs(k * each - target), -k))
    for kept in _subsets(range(n), sizes):
        dropped = tuple(i for i in range(n) if i not in kept)
        if not doubled:
            yield _Plan(kept, dropped=dropped)
            continue
        eligible = [i for i in kept if i in doubled]
        for twice in _subsets(eligible, range(1, len(eligible) + 1)):
            order = tuple(doubled[i] if i in twice else i for i in kept)
            yield _Plan(order, dropped=dropped, doubled=tuple(doubled[i] for i in twice))


def _growths(n: int, lent: int, doubled: Mapping[int, int], clock: _Clock, standard: float,
             target: float) -> Iterator[_Plan]:
    """The whole routine plus subsets of the additions: lent steps go before its last step, a set more in place."""
    additions = [*range(n, n + lent), *doubled.values()]
    each = (sum(clock.body[i] + clock.rest[i] for i in additions) / len(additions)) if additions else 1.0
    sizes = sorted(range(len(additions) + 1), key=lambda k: (abs(standard + k * each - target), k))
    for chosen in _subsets(additions, sizes):
        lend = tuple(a for a in chosen if a < n + lent)
        own = [doubled[i] if doubled.get(i) in chosen else i for i in range(n)]
        yield _Plan((*own[:-1], *lend, *own[-1:]), borrowed=lend, doubled=tuple(a for a in chosen if a >= n + lent))


def _subsets(items: Sequence[int], sizes: Iterable[int]) -> Iterator[tuple[int, ...]]:
    """Combinations of `items` size by size, at most SEARCH_LIMIT of them, so a long routine stays cheap to fit."""
    yield from itertools.islice((c for k in sizes for c in itertools.combinations(items, k)), SEARCH_LIMIT)
