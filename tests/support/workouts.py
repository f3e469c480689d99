"""Starting a workout over the app and reading the store it writes, for the in-workout and resume tests."""

from __future__ import annotations

from typing import Any

from skill import testing
from skill.state import Store, make_store
from support.alexa_checks import answered


def store_of(app: Any) -> Store:
    """The state store the app under test writes (a second handle on the same SQLite file)."""
    return make_store(app.extensions["bandcoach"].settings)


def start_routine(post: Any, user_id: str, routine: str = "recovery") -> dict[str, Any]:
    """A new session that starts `routine` for `user_id`; the answered response envelope."""
    return answered(post, testing.intent_request("StartRoutineIntent", {"routine": (routine, routine)},
                                                 user_id=user_id, new=True))
