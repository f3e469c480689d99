"""The handlers' bridge to the state store: remember positions, record workouts, suggest progressions."""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput

from ..progression import Progression
from ..routines import BandLevel, Routine
from .base import Deps, Position

logger = logging.getLogger(__name__)


def user_id(handler_input: HandlerInput) -> str | None:
    """The Alexa user id of the request, if it carries one."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    user = getattr(system, "user", None) or getattr(handler_input.request_envelope.session, "user", None)
    uid = getattr(user, "user_id", None)
    return uid if isinstance(uid, str) and uid else None


def remember(handler_input: HandlerInput, deps: Deps, pos: Position) -> None:
    """Keep the runner's position so a later session can resume it."""


def finished(handler_input: HandlerInput, deps: Deps, pos: Position, seconds: float) -> None:
    """Record a completed workout and forget the position."""


def stopped(handler_input: HandlerInput, deps: Deps, pos: Position) -> None:
    """Note that the runner stopped early (keeps the position for resuming)."""


def suggestion(handler_input: HandlerInput, deps: Deps, routine_id: str) -> Progression | None:
    """What the coach suggests for this routine given the runner's history (None without history)."""
    return None


def band_for(handler_input: HandlerInput, deps: Deps, routine: Routine) -> BandLevel:
    """The band the runner uses for this routine, else their default, else the routine's."""
    return routine.band


def resume_point(handler_input: HandlerInput, deps: Deps) -> Position | None:
    """The unfinished routine kept for this runner, if any."""
    return None


def resume_offer(handler_input: HandlerInput, deps: Deps) -> tuple[str, dict] | None:
    """The question "resume or start something new?" and the session attributes that await the answer."""
    return None


def progress_news(handler_input: HandlerInput, deps: Deps) -> str:
    """A sentence about a change the coach suggests (a set more, a heavier band), or ''."""
    return ""
