"""The coaching spec a coach signs off: the article's exercises with its placements, variety in what is
said, and a first answer short enough to follow (the timing half is tests/test_coaching_timing.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from support.alexa_checks import answered, speech_of
from support.builtin_catalog import ROUTINE_IDS

from skill import ssml, testing
from skill.catalog import Catalog
from skill.routines import BandLevel
from skill.timeline import speech_seconds

# The article's exercises (../shared/source-article.txt, summarised in COACHING.md) and where it puts the band.
ARTICLE = [
    ("ankle_jumping_jacks", "ankles"),
    ("lateral_walk_ankles", "ankles"), ("lateral_walk_knees", "knees"), ("lateral_walk_thighs", "thighs"),
    ("seated_hip_abduction", "knees"),  # "around your knees or upper thighs"
    ("seated_band_bicycle", "feet"),
    ("all_fours_kickback", "feet"),  # "wrapping a band around your feet while you're on all fours"
    ("treadmill_band_walk", "thighs"), ("treadmill_side_walk", "thighs"),  # "upper thighs or knees"
    ("standing_kickback", None), ("band_squat", None),
    ("seated_hamstring_stretch", None), ("standing_hamstring_stretch", None), ("calf_stretch", None),
    ("butterfly_stretch", "feet"),
]

# Lines of encouragement and transition: said often, so they come from pools and must not wear thin.
ENCOURAGEMENT = {"go", "last_one", "done", "hold", "release", "rest_set", "go_timed", "time_up"}
MOST_REPEATS = 3


@pytest.mark.parametrize(("exercise_id", "where"), ARTICLE, ids=[a[0] for a in ARTICLE])
def test_every_article_exercise_is_coached_with_the_articles_placement(
    catalog: Catalog, exercise_id: str, where: str | None
) -> None:
    exercise = catalog.exercises[exercise_id]
    assert where is None or where in exercise.placement
    assert any(step.exercise == exercise_id for r in catalog.routines.values() for step in r.steps)


def test_the_article_kick_back_pushes_a_straight_leg_back_on_all_fours(catalog: Catalog) -> None:
    kickback = catalog.exercises["all_fours_kickback"]
    assert "hands and knees" in kickback.setup and "leg straight back" in kickback.setup


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_no_line_of_encouragement_is_said_more_than_three_times_in_a_routine(
    catalog: Catalog, routine_id: str
) -> None:
    said = Counter(c.text for c in catalog.timeline(routine_id).cues() if c.kind in ENCOURAGEMENT)
    line, times = said.most_common(1)[0]
    assert times <= MOST_REPEATS, f"{line!r} {times} times"


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_a_pool_never_says_the_same_line_twice_running(catalog: Catalog, routine_id: str) -> None:
    last: dict[str, str] = {}
    for cue in catalog.timeline(routine_id).cues():
        if cue.kind in ENCOURAGEMENT - {"done"}:  # "done" names its exercise, so it always differs
            assert last.get(cue.kind) != cue.text, f"{cue.kind}: {cue.text!r} twice running"
            last[cue.kind] = cue.text


def first_answer(post: Any, routine_id: str) -> str:
    envelope = testing.intent_request("StartRoutineIntent", {"routine": (routine_id, routine_id)}, new=True,
                                      user_id=f"amzn1.ask.account.FIRST-{routine_id}")
    return speech_of(answered(post, envelope))


def test_the_glute_workouts_first_answer_is_under_a_minute_of_speech(post: Any) -> None:
    spoken = ssml.plain_text(f"<speak>{first_answer(post, 'glutes')}</speak>").replace("…", " ")
    assert speech_seconds(spoken) < 60


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_the_intro_is_one_sentence(catalog: Catalog, routine_id: str) -> None:
    intro = next(c.text for c in catalog.timeline(routine_id).cues() if c.kind == "intro")
    assert intro.count(".") + intro.count("!") == 1 and intro.endswith(".")


@pytest.mark.parametrize("band", ["light", "medium"])
def test_the_warm_up_stays_within_ten_minutes_at_every_level_it_can_reach(catalog: Catalog, band: str) -> None:
    # An activation routine climbs only its band, light to medium, never a set (plugins/progression.py).
    assert catalog.timeline("warmup", band=BandLevel(band)).seconds <= 600
