"""The safety layer through real envelopes and the real SQLite store: the pain path, the easier option,
the first-time safety line, what the bands weigh, and progression that does not push past pain."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.alexa_checks import answered, speech_of
from support.tokens import encode, keyed
from support.workouts import start_routine, store_of

from plugins.progression import SESSIONS_TO_PROGRESS, next_progression
from skill import prompts, testing
from skill.catalog import Catalog
from skill.config import LOCALES, Settings
from skill.handlers.base import place_attributes
from skill.playback import Stream
from skill.progression import Change, SessionRecord
from skill.routines import BandLevel, Place, Variant

RUNNER = "amzn1.ask.account.SAFETY"
Post = Any


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the secret support.tokens seals hands-free tokens under."""
    return keyed(settings)


def ask(post: Post, name: str, before: dict[str, Any]) -> dict[str, Any]:
    return answered(post, testing.intent_request(name, user_id=RUNNER, session_attributes=before["sessionAttributes"]))


def at_block(post: Post, routine: str, block: int) -> dict[str, Any]:
    """A session coached up to `block` of `routine` (started, then "next" until there)."""
    data = start_routine(post, RUNNER, routine)
    for _ in range(block):
        data = ask(post, "AMAZON.NextIntent", data)
    return data


def block_of(data: dict[str, Any]) -> int:
    return int(data["sessionAttributes"]["position"]["block"])


# --- the pain path, step by step ----------------------------------------------------------------------

def test_pain_stops_the_exercise_says_the_stop_signs_and_offers_the_easier_option(post: Post, catalog: Catalog) -> None:
    walk = catalog.exercises["lateral_walk_knees"]
    data = ask(post, "PainIntent", at_block(post, "glutes", 1))
    assert speech_of(data) == prompts.pain_in_workout(catalog.exercises[walk.easier])
    assert "dizzy or numb, stop for today" in speech_of(data)
    assert data["response"]["shouldEndSession"] is False and data["sessionAttributes"]["offer"] == "easier"


def test_yes_to_the_easier_option_coaches_it_in_the_same_place(post: Post) -> None:
    hurt = ask(post, "PainIntent", at_block(post, "glutes", 1))
    data = ask(post, "AMAZON.YesIntent", hurt)
    said = speech_of(data)
    assert said.startswith("Okay, the lateral walk at the thighs instead.") and "upper thighs" in said
    assert "above your knees" not in said.split("instead.", 1)[1].split("Next is")[0]
    assert block_of(data) == 1


def test_the_easier_option_keeps_the_sets_of_the_exercise_it_replaces(catalog: Catalog) -> None:
    last = len(catalog.timeline("warmup").blocks) - 1
    place = Place("warmup", Variant.STANDARD, BandLevel.LIGHT, 0, last, 0)
    swapped = catalog.timeline_at(place, swap="step_out_jacks").blocks[last]
    original = catalog.timeline_at(place).blocks[last]
    assert swapped.exercise.id == "step_out_jacks" and swapped.dose.sets == original.dose.sets == 2


def test_no_to_the_easier_option_skips_to_the_next_exercise(post: Post, catalog: Catalog) -> None:
    hurt = ask(post, "PainIntent", at_block(post, "glutes", 1))  # the lateral walk at the knees has an easier one
    data = ask(post, "AMAZON.NoIntent", hurt)
    nxt = catalog.timeline("glutes").blocks[2].exercise
    assert speech_of(data).startswith(prompts.skipping()) and nxt.name.lower() in speech_of(data).lower()
    assert block_of(data) == 2


def test_pain_in_an_exercise_without_an_easier_option_offers_a_skip(post: Post) -> None:
    data = ask(post, "PainIntent", start_routine(post, RUNNER, "recovery"))
    assert speech_of(data) == prompts.pain_in_workout(None) and data["sessionAttributes"]["offer"] == "skip"
    assert block_of(ask(post, "AMAZON.YesIntent", data)) == 1


def test_no_to_a_skip_keeps_the_place_and_waits_for_next(post: Post) -> None:
    hurt = ask(post, "PainIntent", start_routine(post, RUNNER, "recovery"))
    data = ask(post, "AMAZON.NoIntent", hurt)
    assert speech_of(data) == prompts.not_skipping() and block_of(data) == 0
    assert data["response"]["shouldEndSession"] is False


def test_skipping_the_last_exercise_ends_the_workout_as_stopped_early(post: Post, app: Any, catalog: Catalog) -> None:
    last = Place("recovery", Variant.STANDARD, BandLevel.LIGHT, 0, len(catalog.timeline("recovery").blocks) - 1,
                 int(time.time()) - 600)
    attributes = place_attributes(last)
    hurt = answered(post, testing.intent_request("PainIntent", user_id=RUNNER, session_attributes=attributes))
    data = ask(post, "AMAZON.YesIntent", hurt)
    assert data["response"]["shouldEndSession"] is True
    history = store_of(app).load(RUNNER).history
    assert [(s.routine, s.completed) for s in history] == [("recovery", False)]


def test_pain_is_remembered_for_the_exercise_that_hurt(post: Post, app: Any) -> None:
    ask(post, "PainIntent", at_block(post, "glutes", 1))
    pain = dict(store_of(app).load(RUNNER).pain)
    assert list(pain) == ["lateral_walk_knees"]
    assert datetime.now(UTC) - pain["lateral_walk_knees"] < timedelta(minutes=1)


def test_pain_in_the_easier_option_is_remembered_for_the_easier_option(post: Post, app: Any) -> None:
    swapped = ask(post, "AMAZON.YesIntent", ask(post, "PainIntent", at_block(post, "glutes", 1)))
    ask(post, "PainIntent", swapped)
    assert set(dict(store_of(app).load(RUNNER).pain)) == {"lateral_walk_knees", "lateral_walk_thighs"}


# --- make it easier --------------------------------------------------------------------------------------

def test_make_it_easier_coaches_the_easier_option_at_once(post: Post) -> None:
    data = ask(post, "EasierIntent", at_block(post, "glutes", 1))
    assert speech_of(data).startswith("Okay, the lateral walk at the thighs instead.")
    assert data["sessionAttributes"]["swap"] == "lateral_walk_thighs" and block_of(data) == 1


def test_make_it_easier_without_an_easier_option_skips_it(post: Post, catalog: Catalog) -> None:
    data = ask(post, "EasierIntent", start_routine(post, RUNNER, "recovery"))
    first = catalog.timeline("recovery").blocks[0].exercise
    assert speech_of(data).startswith(prompts.no_easier_option(first)) and block_of(data) == 1


# --- hands-free and outside a workout ----------------------------------------------------------------

def while_playing(post: Post, name: str, place: Place) -> dict[str, Any]:
    player = {"token": encode(Stream(place)), "offsetInMilliseconds": 5_000, "playerActivity": "PLAYING"}
    return answered(post, testing.intent_request(name, new=True, user_id=RUNNER, audio_player=player))


def test_pain_hands_free_stops_the_audio_and_resumes_at_the_next_exercise(post: Post, app: Any) -> None:
    place = Place("recovery", Variant.STANDARD, BandLevel.LIGHT, 0, 1, int(time.time()) - 120)
    data = while_playing(post, "PainIntent", place)
    assert [d["type"] for d in data["response"]["directives"]] == ["AudioPlayer.Stop"]
    assert speech_of(data) == prompts.pain_hands_free()
    kept = store_of(app).load(RUNNER).in_progress
    assert kept is not None and kept.place.block == 2 and kept.offset_ms == 0


def test_pain_outside_a_workout_says_rest_and_when_to_see_someone(post: Post) -> None:
    data = answered(post, testing.intent_request("PainIntent", new=True, user_id=RUNNER))
    assert speech_of(data) == prompts.pain_outside_workout() and "doctor or physio" in speech_of(data)


# --- the first time, and the bands ---------------------------------------------------------------------

def test_a_first_workout_starts_with_the_safety_line(post: Post) -> None:
    assert prompts.safety_first_time() in speech_of(start_routine(post, RUNNER, "glutes"))


def test_the_safety_line_is_said_once(post: Post) -> None:
    finished = at_block(post, "treadmill", 1)  # the standard treadmill walk has two exercises: this finishes it
    assert finished["response"]["shouldEndSession"] is True
    assert prompts.safety_first_time() not in speech_of(start_routine(post, RUNNER, "glutes"))


def test_which_band_is_which_gives_the_articles_pound_ranges(post: Post) -> None:
    data = answered(post, testing.intent_request("BandLevelsIntent", new=True, user_id=RUNNER))
    assert "Light bands are about 10 to 35 pounds, medium 40 to 80, and heavy 60 to 150." in speech_of(data)


def test_which_band_is_which_mid_workout_names_todays_band_and_keeps_the_place(post: Post) -> None:
    started = start_routine(post, RUNNER, "glutes")
    data = ask(post, "BandLevelsIntent", started)
    assert "Today you're on the light band." in speech_of(data) and block_of(data) == 0


# --- progression does not push past pain ----------------------------------------------------------------

def test_recent_pain_in_a_routines_exercise_holds_the_level(catalog: Catalog) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    history = [SessionRecord("glutes", Variant.STANDARD, BandLevel.LIGHT, 0, now - timedelta(days=2 * i + 2), 1200,
                             True) for i in reversed(range(SESSIONS_TO_PROGRESS))]
    routine = catalog.routines["glutes"]
    assert next_progression(routine, history, now=now).change is Change.ADD_SET
    held = next_progression(routine, history, now=now, pain={"clamshell": now - timedelta(days=3)})
    assert held.change is Change.SAME and (held.band, held.extra_sets) == (BandLevel.LIGHT, 0)


def test_pain_in_another_routines_exercise_does_not_hold_this_one(catalog: Catalog) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    history = [SessionRecord("glutes", Variant.STANDARD, BandLevel.LIGHT, 0, now - timedelta(days=2 * i + 2), 1200,
                             True) for i in reversed(range(SESSIONS_TO_PROGRESS))]
    pain = {"calf_stretch": now - timedelta(days=1)}
    assert next_progression(catalog.routines["glutes"], history, now=now, pain=pain).change is Change.ADD_SET


# --- the store listing ----------------------------------------------------------------------------------

def manifest_locales() -> dict[str, Any]:
    manifest = json.loads((Path(__file__).parents[1] / "skill-package" / "skill.json").read_text())
    return dict(manifest["manifest"]["publishingInformation"]["locales"])


def test_the_manifest_lists_every_locale_the_skill_speaks() -> None:
    assert set(manifest_locales()) == set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_store_description_carries_the_disclaimer_and_the_stop_signs(locale: str) -> None:
    description = manifest_locales()[locale]["description"]
    assert "not medical advice" in description and "doctor or physiotherapist" in description
    assert "sharp pain, dizziness or numbness" in description and "nicks or tears" in description


def test_how_heavy_is_a_band_answers_for_that_band(post: Post) -> None:
    data = answered(post, testing.intent_request("BandLevelsIntent", {"band": ("medium", "medium")}, new=True,
                                                 user_id=RUNNER))
    assert speech_of(data).startswith("A medium band is about 40 to 80 pounds of resistance")


@pytest.mark.parametrize(("routine", "band", "said"), [
    ("warmup", "medium", "On your medium band."),
    ("glutes", "heavy", "On your heavy band, though these exercises go no heavier than medium."),
    ("recovery", "heavy", "Stretches stay on a light band: a heavier one doesn't stretch you any further."),
])
def test_a_band_the_runner_names_is_confirmed_with_what_the_routine_allows(
    post: Post, routine: str, band: str, said: str
) -> None:
    envelope = testing.intent_request("StartRoutineIntent", {"routine": (routine, routine), "band": (band, band)},
                                      new=True, user_id=RUNNER)
    assert said in speech_of(answered(post, envelope))


def test_repeat_after_the_easier_option_repeats_the_easier_option(post: Post) -> None:
    swapped = ask(post, "EasierIntent", at_block(post, "glutes", 1))
    data = ask(post, "AMAZON.RepeatIntent", swapped)
    assert "lateral walk at the thighs" in speech_of(data)
    assert data["sessionAttributes"]["swap"] == "lateral_walk_thighs"


def test_a_crafted_swap_in_the_session_is_ignored(post: Post) -> None:
    started = at_block(post, "glutes", 1)
    started["sessionAttributes"]["swap"] = "treadmill_incline_walk"  # not an easier option of this exercise
    data = ask(post, "AMAZON.RepeatIntent", started)
    assert "lateral walk at the knees" in speech_of(data) and "treadmill" not in speech_of(data)
