"""The coaching vocabulary's validation rules and the derivation of short and long variants."""

from __future__ import annotations

from dataclasses import replace

import pytest

from skill.routines import BandLevel, Exercise, Routine, Step, Variant, dose


def exercise(**overrides: object) -> Exercise:
    fields = {"id": "clam", "name": "Clamshell", "placement": "above your knees", "setup": "Lie on your side.",
              "tips": ("Keep your heels together.",), "reps": 12}
    return Exercise(**{**fields, **overrides})


def routine(*steps: Step, **overrides: object) -> Routine:
    fields = {"id": "mini", "name": "Mini", "goal": "Test things.",
              "steps": steps or (Step("clam", sets=2, rest_seconds=20), Step("clam", sets=3, rest_seconds=30))}
    return Routine(**{**fields, **overrides})


@pytest.mark.parametrize("bad_id", ["", "Clam", "clam shell", "clam!", "clam.shell"])
def test_exercise_id_must_be_lowercase_word_characters(bad_id: str) -> None:
    with pytest.raises(ValueError, match="lowercase"):
        exercise(id=bad_id)


@pytest.mark.parametrize("dose_fields", [{"reps": 10, "hold_seconds": 30}, {"reps": None}], ids=["both", "neither"])
def test_exercise_needs_exactly_one_of_reps_hold_or_work(dose_fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="exactly one of reps, hold_seconds or work_seconds"):
        exercise(**dose_fields)


@pytest.mark.parametrize("reps", [0, 101])
def test_exercise_reps_out_of_range_is_rejected(reps: int) -> None:
    with pytest.raises(ValueError, match="reps must be 1-100"):
        exercise(reps=reps)


@pytest.mark.parametrize("hold", [4, 301])
def test_exercise_hold_out_of_range_is_rejected(hold: int) -> None:
    with pytest.raises(ValueError, match="hold_seconds must be 5-300"):
        exercise(reps=None, hold_seconds=hold)


@pytest.mark.parametrize("tips", [(), ("a.", "b.", "c.", "d.")])
def test_exercise_needs_one_to_three_tips(tips: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="1-3 form tips"):
        exercise(tips=tips)


@pytest.mark.parametrize("tempo", [0.5, 9.0])
def test_exercise_tempo_out_of_range_is_rejected(tempo: float) -> None:
    with pytest.raises(ValueError, match="tempo_seconds"):
        exercise(tempo_seconds=tempo)


def test_exercise_targets_are_body_parts() -> None:
    assert exercise(targets=("glutes", "hips")).targets == ("glutes", "hips")


@pytest.mark.parametrize("part", ["knees", "Hips", "hip", ""])
def test_an_unknown_body_part_in_targets_is_refused_naming_the_exercise(part: str) -> None:
    with pytest.raises(ValueError, match=rf"exercise 'clam': unknown body part '{part}' in targets"):
        exercise(targets=("glutes", part))


def test_a_body_part_named_twice_in_targets_is_refused() -> None:
    with pytest.raises(ValueError, match="exercise 'clam' names a body part twice"):
        exercise(targets=("glutes", "glutes"))


def test_exercise_spoken_names_are_the_lowercase_name_then_aliases() -> None:
    assert exercise(aliases=("clams",)).spoken_names == ("clamshell", "clams")


@pytest.mark.parametrize("sets", [0, 11])
def test_step_sets_out_of_range_is_rejected(sets: int) -> None:
    with pytest.raises(ValueError, match="sets must be 1-10"):
        Step("clam", sets=sets)


@pytest.mark.parametrize("rest", [-1, 181])
def test_step_rest_out_of_range_is_rejected(rest: int) -> None:
    with pytest.raises(ValueError, match="rest_seconds must be 0-180"):
        Step("clam", rest_seconds=rest)


def test_routine_without_steps_is_rejected() -> None:
    with pytest.raises(ValueError, match="has no steps"):
        Routine("empty", "Empty", "Nothing.", steps=())


def test_routine_id_is_checked_like_exercise_ids() -> None:
    with pytest.raises(ValueError, match="routine id"):
        routine(id="My Routine")


def test_band_level_step_moves_and_clamps_at_the_ends() -> None:
    assert BandLevel.LIGHT.step(1) is BandLevel.MEDIUM
    assert BandLevel.HEAVY.step(1) is BandLevel.HEAVY
    assert BandLevel.MEDIUM.step(-5) is BandLevel.LIGHT


def test_band_level_pounds_rise_with_the_level() -> None:
    assert BandLevel.LIGHT.pounds < BandLevel.MEDIUM.pounds < BandLevel.HEAVY.pounds


def test_derive_standard_returns_the_same_routine() -> None:
    r = routine()
    assert r.derive(Variant.STANDARD) is r


def lengths() -> Routine:
    """A routine whose steps belong to different lengths: every length, standard and long, long only."""
    return routine(Step("clam", sets=2), Step("bridge", sets=3, variants=(Variant.STANDARD, Variant.LONG)),
                   Step("kick", sets=1, variants=(Variant.LONG,)))


@pytest.mark.parametrize(("variant", "exercises"), [
    (Variant.SHORT, ["clam"]), (Variant.STANDARD, ["clam", "bridge"]), (Variant.LONG, ["clam", "bridge", "kick"]),
])
def test_derive_keeps_the_whole_exercises_of_that_length(variant: Variant, exercises: list[str]) -> None:
    assert [s.exercise for s in lengths().derive(variant).steps] == exercises


@pytest.mark.parametrize("variant", list(Variant))
def test_derive_keeps_every_dose_as_written(variant: Variant) -> None:
    kept = {s.exercise: s for s in lengths().steps}
    assert all(s == kept[s.exercise] for s in lengths().derive(variant).steps)


def test_derive_names_the_variant_it_made() -> None:
    assert lengths().derive(Variant.SHORT).variant is Variant.SHORT


def test_a_length_without_any_step_is_refused() -> None:
    with pytest.raises(ValueError, match="no step in its short length"):
        routine(Step("clam", variants=(Variant.LONG,))).derive(Variant.SHORT)


def test_derive_from_a_derived_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="standard form"):
        routine().derive(Variant.SHORT).derive(Variant.LONG)


def test_dose_takes_the_exercise_reps_unless_the_step_overrides_them() -> None:
    ex = exercise(reps=12)
    assert dose(Step("clam"), ex).reps == 12
    assert dose(Step("clam", reps=8), ex).reps == 8


def test_dose_of_a_timed_interval_carries_its_seconds() -> None:
    d = dose(Step("clam"), exercise(reps=None, work_seconds=120))
    assert (d.reps, d.hold_seconds, d.work_seconds) == (None, None, 120)


def test_dose_carries_per_side_and_tempo_from_the_exercise() -> None:
    d = dose(Step("clam"), exercise(per_side=True, tempo_seconds=2.5))
    assert (d.per_side, d.tempo_seconds, d.reps, d.hold_seconds) == (True, 2.5, 12, None)


def test_exercises_and_routines_are_immutable() -> None:
    ex = exercise()
    with pytest.raises(AttributeError):
        ex.reps = 3  # type: ignore[misc]
    assert replace(ex, reps=3).reps == 3
