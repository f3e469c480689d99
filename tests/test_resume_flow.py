"""The resume offer through real envelopes and the real SQLite store: its answers, expiry, and where it resumes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from support.alexa_checks import answered, speech_of
from support.workouts import start_routine, store_of

from skill import testing
from skill.catalog import Catalog
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress
from skill.state.codec import decode_in_progress, encode_in_progress

RUNNER = "amzn1.ask.account.RESUMER"
HOUR = 3600
Post = Any


def start(post: Post, routine: str = "recovery") -> dict[str, Any]:
    return start_routine(post, RUNNER, routine)


def ask(post: Post, name: str, before: dict[str, Any], **slots: Any) -> dict[str, Any]:
    return answered(post, testing.intent_request(name, slots, user_id=RUNNER,
                                                 session_attributes=before["sessionAttributes"]))


def launch(post: Post) -> dict[str, Any]:
    return answered(post, testing.launch_request(user_id=RUNNER))


def ended(post: Post, before: dict[str, Any], reason: str) -> None:
    """Alexa closes the session `before` left open (the SessionEndedRequest carries its attributes)."""
    attrs = before["sessionAttributes"]
    answered(post, testing.session_ended_request(reason, user_id=RUNNER, session_attributes=attrs))


def kept_since(app: Any, routine: str, hours_ago: float, block: int = 1) -> None:
    """A workout stopped at `block`, begun `hours_ago`, as the store keeps it."""
    place = Place(routine, Variant.STANDARD, BandLevel.LIGHT, 0, block, int(time.time() - hours_ago * HOUR))
    store_of(app).set_in_progress(RUNNER, InProgress(place))


def block_of(data: dict[str, Any]) -> int:
    return int(data["sessionAttributes"]["position"]["block"])


def said_name(catalog: Catalog, block: int, routine: str = "recovery") -> str:
    """The name of `routine`'s exercise at `block` as the skill says it mid-sentence: "calf stretch"."""
    return catalog.timeline(routine).blocks[block].exercise.name.lower()


def numbered(catalog: Catalog, block: int, routine: str = "recovery") -> str:
    """How the skill introduces `routine`'s exercise at `block`: "Exercise 2 of 6"."""
    return f"Exercise {block + 1} of {len(catalog.timeline(routine).blocks)}"


# --- answering the offer -------------------------------------------------------------------------------

def test_the_offer_names_the_routine_and_where_it_carries_on(post: Post, catalog: Catalog) -> None:
    ask(post, "AMAZON.NextIntent", start(post))
    text = speech_of(launch(post))
    assert text == (f"Welcome back. Next up is {said_name(catalog, 1)}. "
                    "Resume your Post-run stretch, or start something new?")


def test_resume_at_the_offer_resumes(post: Post, catalog: Catalog) -> None:
    ask(post, "AMAZON.NextIntent", start(post))
    data = ask(post, "AMAZON.ResumeIntent", launch(post))
    assert numbered(catalog, 1) in speech_of(data) and block_of(data) == 1


def test_something_else_keeps_the_workout_and_asks_what_instead(app: Any, post: Post) -> None:
    ask(post, "AMAZON.NextIntent", start(post))
    data = ask(post, "SomethingElseIntent", launch(post))
    assert speech_of(data).startswith("Okay. Which routine would you like? You can say Desk routine")
    assert data["response"]["shouldEndSession"] is False and "position" not in (data.get("sessionAttributes") or {})
    state = store_of(app).load(RUNNER)
    assert state.history == () and state.in_progress.place.block == 1


def test_something_else_is_offered_the_workout_again_next_time(post: Post) -> None:
    ask(post, "AMAZON.NextIntent", start(post))
    ask(post, "SomethingElseIntent", launch(post))
    assert "Resume your Post-run stretch" in speech_of(launch(post))


def test_naming_a_routine_at_the_offer_starts_it(app: Any, post: Post, catalog: Catalog) -> None:
    ask(post, "AMAZON.NextIntent", start(post))
    data = ask(post, "StartRoutineIntent", launch(post), routine=("glute workout", "glutes"))
    assert f"Here's your {catalog.routines['glutes'].name.lower()}:" in speech_of(data)
    assert f"{numbered(catalog, 0, 'glutes')}: {said_name(catalog, 0, 'glutes')}." in speech_of(data)
    assert data["sessionAttributes"]["position"]["routine"] == "glutes" and block_of(data) == 0


def test_something_else_with_no_offer_asks_which_routine(post: Post) -> None:
    data = answered(post, testing.intent_request("SomethingElseIntent", user_id=RUNNER, new=True))
    assert speech_of(data).startswith("Which routine would you like?")


# --- offers expire ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("routine", "hours_ago"), [("recovery", 2.5), ("warmup", 2.5), ("glutes", 20), ("desk", 23)])
def test_a_kept_workout_is_offered_within_its_limit(app: Any, post: Post, routine: str, hours_ago: float) -> None:
    kept_since(app, routine, hours_ago)
    assert "Welcome back" in speech_of(launch(post))


@pytest.mark.parametrize(("routine", "hours_ago"), [("recovery", 3.5), ("warmup", 4), ("glutes", 25), ("desk", 48)])
def test_a_kept_workout_past_its_limit_is_not_offered(app: Any, post: Post, routine: str, hours_ago: float) -> None:
    kept_since(app, routine, hours_ago)
    assert speech_of(launch(post)).startswith("Welcome to Band Coach")


def test_an_expired_workout_is_not_resumed_by_voice(app: Any, post: Post) -> None:
    kept_since(app, "recovery", 5)
    data = answered(post, testing.intent_request("AMAZON.ResumeIntent", user_id=RUNNER, new=True))
    assert "There's no routine going right now" in speech_of(data)


# --- resuming at the next exercise when the last one was heard whole ---------------------------------------

@pytest.mark.parametrize("reason", ["EXCEEDED_MAX_REPROMPTS", "USER_INITIATED"])
def test_a_session_ending_after_a_whole_block_resumes_at_the_next_exercise(
    post: Post, catalog: Catalog, reason: str,
) -> None:
    ended(post, ask(post, "AMAZON.NextIntent", start(post)), reason)
    offer = launch(post)
    assert f"Next up is {said_name(catalog, 2)}" in speech_of(offer)
    data = ask(post, "AMAZON.YesIntent", offer)
    assert numbered(catalog, 2) in speech_of(data) and block_of(data) == 2


def test_stop_resumes_the_same_exercise(post: Post, catalog: Catalog) -> None:
    ask(post, "AMAZON.StopIntent", ask(post, "AMAZON.NextIntent", start(post)))
    offer = launch(post)
    assert f"Next up is {said_name(catalog, 1)}" in speech_of(offer)
    assert block_of(ask(post, "AMAZON.YesIntent", offer)) == 1


def test_a_pause_then_a_timeout_resumes_the_paused_exercise(post: Post) -> None:
    ended(post, ask(post, "AMAZON.PauseIntent", ask(post, "AMAZON.NextIntent", start(post))), "EXCEEDED_MAX_REPROMPTS")
    assert block_of(ask(post, "AMAZON.YesIntent", launch(post))) == 1


def test_a_session_ending_in_an_error_resumes_the_same_exercise(post: Post) -> None:
    ended(post, ask(post, "AMAZON.NextIntent", start(post)), "ERROR")
    assert block_of(ask(post, "AMAZON.YesIntent", launch(post))) == 1


def test_resume_by_voice_after_a_break_starts_at_the_next_exercise(post: Post, catalog: Catalog) -> None:
    ask(post, "TakeABreakIntent", ask(post, "AMAZON.NextIntent", start(post)))
    data = answered(post, testing.intent_request("AMAZON.ResumeIntent", user_id=RUNNER, new=True))
    assert numbered(catalog, 2) in speech_of(data) and block_of(data) == 2


def test_next_by_voice_after_a_break_is_the_exercise_after_the_done_one(post: Post) -> None:
    ask(post, "TakeABreakIntent", ask(post, "AMAZON.NextIntent", start(post)))
    data = answered(post, testing.intent_request("AMAZON.NextIntent", user_id=RUNNER, new=True))
    assert block_of(data) == 2


def test_next_at_an_offer_after_a_whole_block_is_that_next_exercise(post: Post) -> None:
    ended(post, ask(post, "AMAZON.NextIntent", start(post)), "EXCEEDED_MAX_REPROMPTS")
    assert block_of(ask(post, "AMAZON.NextIntent", launch(post))) == 2


def test_resume_in_a_session_after_a_whole_block_goes_on_to_the_next(post: Post, catalog: Catalog) -> None:
    data = ask(post, "AMAZON.ResumeIntent", start(post))
    assert numbered(catalog, 1) in speech_of(data) and block_of(data) == 1


# --- the stored flag -------------------------------------------------------------------------------------

def test_a_stored_row_from_before_the_flag_reads_as_not_done() -> None:
    old = {"routine": "glutes", "variant": "standard", "band": "medium", "step": 2,
           "started_at": "2025-05-01T07:00:00+00:00", "extra_sets": 0, "token": None, "offset_ms": 0}
    kept = decode_in_progress(old)
    assert kept is not None and kept.block_done is False and kept.place.block == 2


def test_the_flag_is_stored_only_when_set_and_reads_back() -> None:
    place = Place("glutes", Variant.STANDARD, BandLevel.MEDIUM, 0, 2, 1_746_082_800)
    assert "block_done" not in (encode_in_progress(InProgress(place)) or {})
    assert decode_in_progress(encode_in_progress(InProgress(place, block_done=True))) == \
        InProgress(place, block_done=True)
