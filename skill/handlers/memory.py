"""The handlers' bridge to the state store: remember positions, record workouts, suggest progressions.

Every function degrades to "no memory" when there is no store or no user id, and a store failure is
logged and never stops the coaching (the runner hears the routine; only the memory is lost).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from ask_sdk_core.handler_input import HandlerInput

from skill import plan, prompts
from skill.handlers.base import BLOCK_DONE, Deps, carry_on, locale_of, place_attributes
from skill.progression import Change, Progression, Rating, SessionRecord
from skill.routines import BandLevel, Place, Routine
from skill.state import InProgress, Store, UserState
from skill.timeline import Timeline

logger = logging.getLogger(__name__)
T = TypeVar("T")


def user_id(handler_input: HandlerInput) -> str | None:
    """The Alexa user id of the request, if it carries one."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    user = getattr(system, "user", None) or getattr(handler_input.request_envelope.session, "user", None)
    uid = getattr(user, "user_id", None)
    return uid if isinstance(uid, str) and uid else None


def _with_store(handler_input: HandlerInput, deps: Deps, action: Callable[[Store, str], T], default: T) -> T:
    """Run `action(store, user_id)`; without a store, a user id, or on a store error, `default`.

    A store error marks the request, so the runner hears that their progress was not kept
    (skill/handlers/unsaved.py); a watched store has already logged its cause, once, for /healthz.
    """
    uid = user_id(handler_input)
    if deps.store is None or uid is None:
        return default
    try:
        return action(deps.store, uid)
    except Exception:  # the store is memory, not the coaching: carry on without it
        handler_input.attributes_manager.request_attributes[UNSAVED] = True
        if _watched(deps.store):
            logger.debug("state store failed; continuing without memory for this request", exc_info=True)
        else:
            logger.exception("state store failed; continuing without memory for this request")
        return default


_REQUEST_KEY = "bandcoach.user_state"  # the state loaded once per request, kept in request attributes


def load(handler_input: HandlerInput, deps: Deps) -> UserState | None:
    """The runner's recent state (`Store.recent`: bounded whatever their history), read at most once per request."""
    cache = handler_input.attributes_manager.request_attributes
    if _REQUEST_KEY not in cache:
        cache[_REQUEST_KEY] = _with_store(handler_input, deps, lambda store, uid: store.recent(uid), None)
    found = cache[_REQUEST_KEY]
    return found if isinstance(found, UserState) else None


def _change(handler_input: HandlerInput, deps: Deps, action: Callable[[Store, str], UserState]) -> UserState | None:
    """One atomic change through a Store method; the request's cached copy follows it. None on failure."""
    state = _with_store(handler_input, deps, action, None)
    if state is not None:
        handler_input.attributes_manager.request_attributes[_REQUEST_KEY] = state
    return state


def _kept(place: Place, *, token: str | None = None, offset_ms: int = 0, block_done: bool = False) -> InProgress:
    """The workout to keep at `place`; a place from an older session without a start time starts now."""
    started = place if place.started else replace(place, started=int(time.time()))
    return InProgress(started, token=token, offset_ms=max(0, offset_ms), block_done=block_done)


def remember(handler_input: HandlerInput, deps: Deps, place: Place, *, token: str | None = None,
             offset_ms: int = 0, block_done: bool = False) -> None:
    """Keep the runner's place (hands-free: also the AudioPlayer token and offset) to resume it later.

    `block_done`: the runner heard the whole of this block, so resuming starts at the next one.
    """
    kept = _kept(place, token=token, offset_ms=offset_ms, block_done=block_done)

    def write(store: Store, uid: str) -> bool:
        store.set_in_progress(uid, kept)  # the place only: the history is neither read nor rewritten
        return True

    if _with_store(handler_input, deps, write, False):
        cache = handler_input.attributes_manager.request_attributes
        loaded = cache.get(_REQUEST_KEY)
        if isinstance(loaded, UserState):  # the state this request loaded, if any, keeps up with the write
            cache[_REQUEST_KEY] = replace(loaded, in_progress=kept)


def begin(handler_input: HandlerInput, deps: Deps, place: Place, *, token: str | None = None) -> None:
    """A new workout starts: an unfinished one goes into the history as stopped early, in one write."""
    kept = _kept(place, token=token)

    def apply(state: UserState) -> UserState:
        unfinished = state.in_progress
        if unfinished is not None and recorded(state, unfinished.place) is None:
            state = state.with_session(_record(unfinished.place, 0, False))
        return replace(state, in_progress=kept)

    _change(handler_input, deps, lambda store, uid: store.update(uid, apply))  # two changes, one write


def recorded(state: UserState, place: Place) -> SessionRecord | None:
    """The history's record of the workout at `place` (the same routine begun at the same second), if any.

    A place without a start time (0: an older session's) is never matched: it has no identity to match.
    """
    if not place.started:
        return None
    for record in reversed(state.history):
        if record.routine == place.routine and int(record.started_at.timestamp()) == place.started:
            return record
    return None


def _end(handler_input: HandlerInput, deps: Deps, place: Place, record: SessionRecord) -> SessionRecord:
    """Record how the workout at `place` ended, once: one atomic update that adds `record` and forgets the kept
    place, or, when this workout is in the history already, only forgets the kept place if it is this one.

    Endings race and repeat (PlaybackFinished twice, "I'm done" then PlaybackFinished, two request threads),
    and the store reruns `apply` on the newer state after a conflict, so whichever ending comes first is the
    one record and the rest change nothing. Returns the record kept (also without a store).
    """
    def apply(state: UserState) -> UserState:
        if recorded(state, place) is None:
            return replace(state.with_session(record), in_progress=None)
        kept = state.in_progress
        same = kept is not None and (kept.place.routine, kept.place.started) == (place.routine, place.started)
        return replace(state, in_progress=None) if same else state

    state = _change(handler_input, deps, lambda store, uid: store.update(uid, apply, durable=True))
    return (recorded(state, place) if state is not None else None) or record


def finished(handler_input: HandlerInput, deps: Deps, place: Place, seconds: float) -> SessionRecord:
    """Record a completed workout and forget where it was, once per workout (`_end`); returns the record."""
    return _end(handler_input, deps, place, _record(place, seconds, True))


def stopped_early(handler_input: HandlerInput, deps: Deps, place: Place, seconds: float) -> SessionRecord:
    """The runner finished before the end ("I'm done"): record it as stopped and forget where it was, once.

    `seconds` is the planned length of what was done, the duration when the clock says something odd.
    """
    return _end(handler_input, deps, place, _record(place, seconds, False))


def keep_unless_recorded(handler_input: HandlerInput, deps: Deps, place: Place, *, token: str | None = None,
                         offset_ms: int = 0) -> None:
    """Keep the place to resume (hands-free: the token and offset), unless this workout is in the history.

    The check and the write are one atomic store update, so a pause or stop racing the workout's end on
    another request thread can never offer a recorded workout back to resume (`remember`'s blind write could).
    """
    kept = _kept(place, token=token, offset_ms=offset_ms)

    def apply(state: UserState) -> UserState:
        return state if recorded(state, place) is not None else replace(state, in_progress=kept)

    _change(handler_input, deps, lambda store, uid: store.update(uid, apply))


stopped = remember  # the runner stopped mid-routine: the kept place is offered back at the next launch


MIN_WORK_SHARE = 0.5  # of a routine's planned length: less, and it was skipped through, not done


def ended() -> float:
    """Now, as the moment a workout ends (epoch seconds): the one clock a test moves to finish one in time."""
    return time.time()


def _record(place: Place, planned: float, completed: bool) -> SessionRecord:
    """The workout at `place` as history: completed only when the last block was reached AND the time since
    its start shows the timed work was done (skipping through with "next" is not a workout)."""
    started = place.started or time.time()
    elapsed = ended() - started
    duration = elapsed if 0 < elapsed < 3 * max(planned, 60) else planned
    did_the_work = elapsed >= MIN_WORK_SHARE * planned
    return SessionRecord(routine=place.routine, variant=place.variant, band=place.band, extra_sets=place.extra_sets,
                         started_at=datetime.fromtimestamp(started, UTC), duration_seconds=round(duration),
                         completed=completed and did_the_work)


def suggestion(handler_input: HandlerInput, deps: Deps, routine_id: str, *,
               band: BandLevel | None = None) -> Progression | None:
    """What the coach suggests for this routine given the runner's history (None without history);
    `band` is one the runner just named, which wins over the band they use for it."""
    state = load(handler_input, deps)
    sessions = state.sessions_of(routine_id) if state else ()
    if state is None or not sessions:
        return None
    return deps.catalog.progression(routine_id, sessions, band=band or state.band_for(routine_id),
                                    pain=state.pain_since(datetime.now(UTC) - PAIN_MEMORY), owned=state.owned)


def last_level(handler_input: HandlerInput, deps: Deps, routine_id: str) -> tuple[BandLevel, int] | None:
    """The band and extra sets of the runner's last workout of this routine, if any."""
    state = load(handler_input, deps)
    sessions = state.sessions_of(routine_id) if state else ()
    return (sessions[-1].band, sessions[-1].extra_sets) if sessions else None


RATING_WINDOW = 6 * 3600  # seconds after a workout's start that "that was easy" still rates it


def rate(handler_input: HandlerInput, deps: Deps, rating: Rating) -> SessionRecord | None:
    """Rate the runner's newest workout, when it is recent; returns it rated, or None."""
    state = load(handler_input, deps)
    newest = state.history[-1] if state and state.history else None
    if newest is None or time.time() - newest.started_at.timestamp() > RATING_WINDOW:
        return None
    rated = _change(handler_input, deps, lambda store, uid: store.update(uid, lambda s: s.with_rating(rating)))
    return rated.history[-1] if rated is not None and rated.history else None


def owned(handler_input: HandlerInput, deps: Deps) -> tuple[BandLevel, ...]:
    """The bands this runner said they have; () when they have not said (or there is no memory)."""
    state = load(handler_input, deps)
    return state.owned if state else ()


def add_owned(handler_input: HandlerInput, deps: Deps, *bands: BandLevel) -> None:
    """Remember the runner has these bands too (a band named is a band owned)."""
    state = load(handler_input, deps)
    if state is not None and set(bands) <= set(state.owned):
        return  # nothing new: no write
    _change(handler_input, deps, lambda store, uid: store.update(uid, lambda s: s.with_owned({*s.owned, *bands})))


def set_owned(handler_input: HandlerInput, deps: Deps, bands: set[BandLevel]) -> bool:
    """The runner's answer to "which bands do you have": exactly these; False when it cannot be kept."""
    return _change(handler_input, deps, lambda store, uid: store.update(uid, lambda s: s.with_owned(bands))) \
        is not None


def familiar(handler_input: HandlerInput, deps: Deps) -> frozenset[str]:
    """The exercises this runner has been coached through before: those of every routine in their history.

    Any recorded workout counts, completed or not: progressive disclosure is about having heard the
    setup, and "how do I do this one" gives the whole of it to anyone who needs it again.
    """
    state = load(handler_input, deps)
    done = {s.routine for s in state.history} if state else set()
    routines = deps.catalog.routines
    return frozenset(step.exercise for r in done if r in routines for step in routines[r].steps)


EASE_FOR = timedelta(days=14)  # an exercise that hurt is coached as its easier option this long


def eased(handler_input: HandlerInput, deps: Deps, started: int) -> frozenset[str]:
    """The exercises that hurt this runner in the two weeks before a workout `started` (epoch seconds): it
    coaches them as their easier option (pain regresses them). Pain during the workout is the pain
    path's to answer, so it changes nothing until the next one."""
    state = load(handler_input, deps)
    if state is None or not state.pain:
        return frozenset()
    start = datetime.fromtimestamp(started or time.time(), UTC)
    return frozenset(e for e, when in state.pain_since(start - EASE_FOR).items() if when < start)


def timeline(handler_input: HandlerInput, deps: Deps, pos: Place, *, swap: str | None = None) -> Timeline:
    """The timeline this runner walks step by step at `pos`: short reminders for what they know, the easier
    option for what hurt, and `swap` in the current block."""
    return deps.catalog.timeline_at(pos, locale_of(handler_input), familiar=familiar(handler_input, deps),
                                    eased=eased(handler_input, deps, pos.started), swap=swap)


def first_time(handler_input: HandlerInput, deps: Deps) -> bool:
    """Whether this runner has no workout on record (or we cannot tell): the safety line is said then."""
    state = load(handler_input, deps)
    return state is None or not state.history


PAIN_MEMORY = timedelta(days=42)  # how far back a runner's pain reports reach the progression rule


def report_pain(handler_input: HandlerInput, deps: Deps, exercise: str) -> bool:
    """Remember that `exercise` hurt now, so progression does not push it; False when it cannot be kept."""
    now = datetime.now(UTC)
    return _change(handler_input, deps, lambda store, uid: store.update(uid, lambda s: s.with_pain(exercise, now))) \
        is not None


def band_for(handler_input: HandlerInput, deps: Deps, routine: Routine) -> BandLevel:
    """The band the runner uses for this routine, else their default, else the routine's."""
    state = load(handler_input, deps)
    return (state.band_for(routine.id) if state else None) or routine.band


def set_band(handler_input: HandlerInput, deps: Deps, routine: str | None, band: BandLevel) -> bool:
    """Remember the runner's band (for one routine, or as their default); False when it cannot be kept."""
    state = _change(handler_input, deps, lambda store, uid: store.set_band(uid, routine, band))
    return state is not None and state.band_for(routine or "") is band


def on_offer(handler_input: HandlerInput, deps: Deps) -> InProgress | None:
    """The unfinished workout kept for this runner while it may be resumed: its routine still offered, and
    younger than its kind's RoutineKind.offer_seconds."""
    # An expired one is left stored, never offered: the next workout's begin() records it as stopped.
    state = load(handler_input, deps)
    kept = state.in_progress if state else None
    place = deps.catalog.clamped(kept.place) if kept is not None else None
    if kept is None or place is None:
        return None
    if time.time() - place.started > deps.catalog.routines[place.routine].kind.offer_seconds:
        return None
    return replace(kept, place=place)


def stopped_at(handler_input: HandlerInput, deps: Deps) -> Place | None:
    """The block the kept workout stopped in, while it is on offer."""
    kept = on_offer(handler_input, deps)
    return kept.place if kept is not None else None


def resume_point(handler_input: HandlerInput, deps: Deps) -> Place | None:
    """Where resuming the kept workout starts: its block, or the next one when that block was heard whole."""
    kept = on_offer(handler_input, deps)
    return carry_on(deps.catalog, kept.place, kept.block_done) if kept is not None else None


def resume_offer(handler_input: HandlerInput, deps: Deps) -> tuple[str, dict] | None:
    """The question "resume or start something new?" and the session attributes that await the answer.

    The attributes hold the block where it stopped (and whether it was done), as a session's do.
    """
    kept = on_offer(handler_input, deps)
    if kept is None:
        return None
    pos = carry_on(deps.catalog, kept.place, kept.block_done)
    walked = timeline(handler_input, deps, pos)  # the one resuming will walk
    text = prompts.resume_offer(walked.blocks[pos.block].exercise, walked.routine)
    attrs = {**place_attributes(kept.place), "offer": "resume"}
    if kept.block_done:
        attrs[BLOCK_DONE] = True
    return text, attrs


def progress_news(handler_input: HandlerInput, deps: Deps) -> str:
    """At launch: what changes next time for the routine done last (a set more, a heavier band), or ''."""
    state = load(handler_input, deps)
    if state is None or not state.history:
        return ""
    last = state.history[-1].routine
    if last not in deps.catalog.routines:
        return ""
    progression = suggestion(handler_input, deps, last)
    return progression.reason if progression and progression.change is not Change.SAME else ""


# --- the runner's week and the reminders made for it (skill/handlers/plan.py, reminders.py) --------


def set_running_days(handler_input: HandlerInput, deps: Deps, days: frozenset[int]) -> bool:
    """Remember the weekdays the runner runs (their week plan is built from them); False when not kept."""
    kept = tuple(sorted(days))
    state = _change(handler_input, deps, lambda store, uid: store.update(uid, lambda s: replace(s, running_days=kept)))
    return state is not None and state.running_days == kept


def week_plan(handler_input: HandlerInput, deps: Deps) -> plan.WeekPlan | None:
    """The runner's week, built from the running days they told us; None before they told us any."""
    state = load(handler_input, deps)
    if state is None or not state.running_days:
        return None
    return plan.plan_week(state.running_days, deps.catalog.routines)


def planned_rest_days(handler_input: HandlerInput, deps: Deps) -> frozenset[int]:
    """The weekdays the runner's plan asks no workout of (none without a plan): they don't break a streak."""
    week = week_plan(handler_input, deps)
    return week.days_off if week is not None else frozenset()


def reminder_tokens(handler_input: HandlerInput, deps: Deps) -> tuple[str, ...]:
    """The alert tokens of the Alexa reminders this skill made for the runner."""
    state = load(handler_input, deps)
    return state.reminders if state is not None else ()


def set_reminder_tokens(handler_input: HandlerInput, deps: Deps, tokens: tuple[str, ...]) -> bool:
    """Remember exactly these reminders as ours (cancelling deletes them); False when not kept."""
    state = _change(handler_input, deps, lambda store, uid: store.update(uid, lambda s: replace(s, reminders=tokens)))
    return state is not None and state.reminders == tokens


UNSAVED = "bandcoach.store_failed"  # request attribute: a store operation failed while answering (handlers/unsaved.py)


def _watched(store: object) -> bool:
    """Whether `store` is the health-watching wrapper, which has already logged a failure's cause once."""
    from skill.state.health import WatchedStore  # only checked after a failure

    return isinstance(store, WatchedStore)

