"""The handlers' bridge to the state store: remember positions, record workouts, suggest progressions.

Every function degrades to "no memory" when there is no store or no user id, and a store failure is
logged and never stops the coaching (the runner hears the routine; only the memory is lost).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from ask_sdk_core.handler_input import HandlerInput

from .. import prompts
from ..progression import Change, Progression, SessionRecord
from ..routines import BandLevel, Routine
from ..state import Position as StoredPosition
from ..state import Store, UserState
from .base import Deps, Position, locale_of

logger = logging.getLogger(__name__)
T = TypeVar("T")


def user_id(handler_input: HandlerInput) -> str | None:
    """The Alexa user id of the request, if it carries one."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    user = getattr(system, "user", None) or getattr(handler_input.request_envelope.session, "user", None)
    uid = getattr(user, "user_id", None)
    return uid if isinstance(uid, str) and uid else None


def _with_store(handler_input: HandlerInput, deps: Deps, action: Callable[[Store, str], T], default: T) -> T:
    """Run `action(store, user_id)`; without a store, a user id, or on a store error, `default`."""
    uid = user_id(handler_input)
    if deps.store is None or uid is None:
        return default
    try:
        return action(deps.store, uid)
    except Exception:  # the store is memory, not the coaching: log it and carry on
        logger.exception("state store failed; continuing without memory for this request")
        return default


_REQUEST_KEY = "bandcoach.user_state"  # the state loaded once per request, kept in request attributes


def load(handler_input: HandlerInput, deps: Deps) -> UserState | None:
    """The runner's state, read from the store at most once per request."""
    cache = handler_input.attributes_manager.request_attributes
    if _REQUEST_KEY not in cache:
        cache[_REQUEST_KEY] = _with_store(handler_input, deps, lambda store, uid: store.load(uid), None)
    return cache[_REQUEST_KEY]


def _change(handler_input: HandlerInput, deps: Deps, action: Callable[[Store, str], UserState]) -> UserState | None:
    """One atomic change through a Store method; the request's cached copy follows it. None on failure."""
    state = _with_store(handler_input, deps, action, None)
    if state is not None:
        handler_input.attributes_manager.request_attributes[_REQUEST_KEY] = state
    return state


def stored_position(pos: Position, *, token: str | None = None, offset_ms: int = 0) -> StoredPosition:
    started = datetime.fromtimestamp(pos.started or time.time(), UTC)
    return StoredPosition(routine=pos.routine, variant=pos.variant, band=pos.band, step=pos.block,
                          started_at=started, extra_sets=pos.extra_sets, token=token, offset_ms=max(0, offset_ms))


def remember(handler_input: HandlerInput, deps: Deps, pos: Position, *, token: str | None = None,
             offset_ms: int = 0) -> None:
    """Keep the runner's position (hands-free: also the AudioPlayer token and offset) to resume it later."""
    stored = stored_position(pos, token=token, offset_ms=offset_ms)

    def write(store: Store, uid: str) -> bool:
        store.set_position(uid, stored)  # position only: the history is neither read nor rewritten
        return True

    if _with_store(handler_input, deps, write, False):
        cache = handler_input.attributes_manager.request_attributes
        if cache.get(_REQUEST_KEY) is not None:
            cache[_REQUEST_KEY] = replace(cache[_REQUEST_KEY], in_progress=stored)


def begin(handler_input: HandlerInput, deps: Deps, pos: Position, *, token: str | None = None) -> None:
    """A new workout starts: an unfinished one goes into the history as stopped early, in one write."""
    stored = stored_position(pos, token=token)

    def apply(state: UserState) -> UserState:
        kept = state.in_progress
        if kept is not None:
            state = state.with_session(_record(_as_session(kept), 0, False))
        return replace(state, in_progress=stored)

    _change(handler_input, deps, lambda store, uid: store.update(uid, apply))  # two changes, one write


def finished(handler_input: HandlerInput, deps: Deps, pos: Position, seconds: float) -> None:
    """Record a completed workout and forget the position."""
    record = _record(pos, seconds, True)
    _change(handler_input, deps, lambda store, uid: store.record_workout(uid, record))


def abandoned(handler_input: HandlerInput, deps: Deps, pos: Position) -> None:
    """The runner chose not to resume: the unfinished workout goes into the history as stopped early."""
    record = _record(pos, 0, False)
    _change(handler_input, deps, lambda store, uid: store.record_workout(uid, record))


stopped = remember  # the runner stopped mid-routine: the kept position is offered back at the next launch


def _record(pos: Position, planned: float, completed: bool) -> SessionRecord:
    started = pos.started or time.time()
    elapsed = time.time() - started
    duration = elapsed if 0 < elapsed < 3 * max(planned, 60) else planned
    return SessionRecord(routine=pos.routine, variant=pos.variant, band=pos.band, extra_sets=pos.extra_sets,
                         started_at=datetime.fromtimestamp(started, UTC), duration_seconds=round(duration),
                         completed=completed)


def suggestion(handler_input: HandlerInput, deps: Deps, routine_id: str) -> Progression | None:
    """What the coach suggests for this routine given the runner's history (None without history)."""
    state = load(handler_input, deps)
    sessions = state.sessions_of(routine_id) if state else ()
    if not sessions:
        return None
    return deps.catalog.progression(routine_id, sessions, band=state.band_for(routine_id))


def band_for(handler_input: HandlerInput, deps: Deps, routine: Routine) -> BandLevel:
    """The band the runner uses for this routine, else their default, else the routine's."""
    state = load(handler_input, deps)
    return (state.band_for(routine.id) if state else None) or routine.band


def set_band(handler_input: HandlerInput, deps: Deps, routine: str | None, band: BandLevel) -> bool:
    """Remember the runner's band (for one routine, or as their default); False when it cannot be kept."""
    state = _change(handler_input, deps, lambda store, uid: store.set_band(uid, routine, band))
    return state is not None and state.band_for(routine or "") is band


def resume_point(handler_input: HandlerInput, deps: Deps) -> Position | None:
    """The unfinished routine kept for this runner, if any (and if its routine is still offered)."""
    state = load(handler_input, deps)
    kept = state.in_progress if state else None
    return _as_session(kept).clamped(deps.catalog) if kept is not None else None


def _as_session(kept: StoredPosition) -> Position:
    return Position(kept.routine, kept.band, kept.variant, kept.step, kept.extra_sets, paused=True,
                    started=int(kept.started_at.timestamp()))


def resume_offer(handler_input: HandlerInput, deps: Deps) -> tuple[str, dict] | None:
    """The question "resume or start something new?" and the session attributes that await the answer."""
    pos = resume_point(handler_input, deps)
    if pos is None:
        return None
    timeline = pos.timeline(deps.catalog, locale_of(handler_input))  # the one resuming will walk
    text = prompts.resume_offer(timeline.blocks[pos.block].exercise, timeline.routine)
    return text, {**pos.to_attributes(), "offer": "resume"}


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
