"""The coaching timing spec: time to get set, 1 Hz countdowns, side changes, and the band named in the rest before."""

from __future__ import annotations

import re

import pytest
from support.builtin_catalog import ROUTINE_IDS

from skill import ssml
from skill.catalog import Catalog
from skill.routines import SIDE_MOVE_SECONDS, BandLevel
from skill.segments import session_cues
from skill.timeline import get_set_after, same_band, speech_seconds


def silence_after(body: str, text: str) -> float:
    """Seconds of <break> that follow the first `text` in an SSML body."""
    rest = body[body.index(ssml.escape(text)) + len(ssml.escape(text)):]
    match = re.match(r'((?:<break time="\d+ms"/>)+)', rest)
    return sum(int(ms) for ms in re.findall(r"(\d+)ms", match.group(1))) / 1000 if match else 0.0


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_the_silence_after_the_instructions_is_at_least_the_exercises_get_set_time(
    catalog: Catalog, routine_id: str,
) -> None:
    timeline = catalog.timeline(routine_id)
    before = [None, *(b.exercise for b in timeline.blocks)]
    for index, block in enumerate(timeline.blocks):
        dose = next(c for c in block.cues if c.kind == "dose")
        body = ssml.cues_to_ssml(session_cues(timeline, index))
        assert silence_after(body, dose.text) >= get_set_after(before[index], block.exercise) >= 10, block.exercise.id


def test_a_floor_exercise_gets_longer_to_get_set_than_a_standing_one(catalog: Catalog) -> None:
    assert catalog.exercises["clamshell"].get_set > catalog.exercises["band_squat"].get_set


def test_getting_down_to_the_floor_takes_longer_than_moving_on_the_floor(catalog: Catalog) -> None:
    squat, bridge, clam = (catalog.exercises[i] for i in ("band_squat", "glute_bridge", "clamshell"))
    assert get_set_after(squat, bridge) > get_set_after(bridge, clam) >= 10


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_countdown_counts_are_one_second_apart_in_the_timeline_and_in_ssml(catalog: Catalog, routine_id: str) -> None:
    counts = [c for c in catalog.timeline(routine_id).cues() if c.kind == "count"]
    assert counts and all(c.seconds == 1.0 for c in counts)
    for count in counts:
        said = ssml.cues_to_ssml([count])
        silence = sum(int(ms) for ms in re.findall(r"(\d+)ms", said)) / 1000
        assert silence >= 0.5, f"{count.text!r} is run into the next count"  # one word takes under half a second
        assert speech_seconds(count.text) + silence == pytest.approx(1.0)


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_counted_reps_keep_the_exercises_cadence_in_ssml(catalog: Catalog, routine_id: str) -> None:
    for block in catalog.timeline(routine_id).blocks:
        for rep in (c for c in block.cues if c.kind == "rep"):
            said = ssml.cues_to_ssml([rep])
            silence = sum(int(ms) for ms in re.findall(r"(\d+)ms", said)) / 1000
            assert speech_seconds(rep.text) + silence == pytest.approx(block.dose.tempo_seconds), block.exercise.id


def test_a_side_change_that_moves_the_body_gets_eight_to_ten_seconds_after_its_words(catalog: Catalog) -> None:
    block = catalog.timeline("glutes").blocks[3]  # the clamshell: roll onto the other side
    switch = next(c for c in block.cues if c.kind == "switch_sides")
    assert switch.text == block.exercise.switch
    assert 8 <= switch.seconds - speech_seconds(switch.text) == SIDE_MOVE_SECONDS <= 10


def test_walking_forward_then_backward_is_not_called_switching_sides(catalog: Catalog) -> None:
    walk = next(b for b in catalog.timeline("warmup").blocks if b.exercise.id == "monster_walk")
    assert [c.text for c in walk.cues if c.kind == "switch_sides"] == ["Now walk backward, same long steps."]


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_the_rest_before_an_exercise_says_where_its_band_goes(catalog: Catalog, routine_id: str) -> None:
    timeline = catalog.timeline(routine_id)
    for block, following in zip(timeline.blocks, timeline.blocks[1:], strict=False):
        said = " ".join(c.text for c in block.rest)
        if not same_band(block.exercise, following.exercise, timeline.band):
            assert following.exercise.placement in said, f"the rest before {following.exercise.id} says {said!r}"


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_a_band_that_stays_put_is_not_moved_in_words(catalog: Catalog, routine_id: str) -> None:
    timeline = catalog.timeline(routine_id)
    for block, following in zip(timeline.blocks, timeline.blocks[1:], strict=False):
        if same_band(block.exercise, following.exercise, timeline.band):
            line = next(c.text for c in following.cues if c.kind == "exercise")
            assert following.exercise.placement not in " ".join(c.text for c in block.rest)
            assert line.endswith("Keep the band where it is.")


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_a_first_session_of_every_routine_is_on_a_light_band(catalog: Catalog, routine_id: str) -> None:
    assert catalog.routines[routine_id].band is BandLevel.LIGHT
    timeline = catalog.timeline(routine_id)
    assert {block.exercise.band_for(timeline.band) for block in timeline.blocks} == {BandLevel.LIGHT}


def test_an_exercise_is_never_coached_above_its_own_band(catalog: Catalog) -> None:
    clamshell = catalog.exercises["clamshell"]
    assert clamshell.band_for(BandLevel.HEAVY) is clamshell.band is BandLevel.LIGHT


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_every_exercise_says_the_shape_of_band_it_needs(catalog: Catalog, routine_id: str) -> None:
    timeline = catalog.timeline(routine_id)
    before = [None, *(b.exercise for b in timeline.blocks)]
    for block, prev in zip(timeline.blocks, before, strict=False):
        line = next(c.text for c in block.cues if c.kind == "exercise")
        stays = prev is not None and same_band(prev, block.exercise, timeline.band)
        assert stays or block.exercise.band_kind.spoken in line
