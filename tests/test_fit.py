"""Fitting a routine to a requested length by whole exercises, and the fitted timelines a Place walks."""

from __future__ import annotations

import pytest
from support.builtin_catalog import ROUTINE_IDS, builtin_catalog, builtin_manager

from skill import BandLevel, Place, Routine, Step, Variant, hookimpl
from skill.catalog import Catalog
from skill.fit import WINDOW_SECONDS, borrowable
from skill.routines import MAX_MINUTES, RoutineKind
from skill.timeline import Timeline

# (routine, minutes) a runner may ask for that every built-in can meet within a minute; the rules that
# meet them are in docs/coaching.md ("Asking by need and fitting a length").
# The treadmill's walks are three-minute intervals, so it has no two- or five-minute form.
FEASIBLE = [(r, m) for r in ROUTINE_IDS for m in (2, 3, 5, 7, 10, 12, 15) if r != "treadmill" or m not in (2, 5)]
SHORTENED = [(r, m) for r in ROUTINE_IDS for m in (3, 5, 7)]
LENGTHENED = [(r, m) for r in ROUTINE_IDS for m in (12, 15, 20, 30, 60)]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return builtin_catalog()


def exercises_of(timeline: Timeline) -> list[str]:
    return [b.exercise.id for b in timeline.blocks]


def test_a_five_minute_stretch_lasts_four_to_six_minutes(catalog: Catalog) -> None:
    assert 4 * 60 <= catalog.timeline("recovery", minutes=5).seconds <= 6 * 60


@pytest.mark.parametrize(("routine_id", "minutes"), FEASIBLE)
def test_a_fitted_routine_is_within_a_minute_of_the_length_asked_for(
    catalog: Catalog, routine_id: str, minutes: int
) -> None:
    seconds = catalog.timeline(routine_id, minutes=minutes).seconds
    assert abs(seconds - minutes * 60) <= WINDOW_SECONDS
    assert catalog.fit(routine_id, minutes).met


@pytest.mark.parametrize(("routine_id", "minutes"), FEASIBLE + LENGTHENED)
def test_fitting_keeps_every_dose_and_adds_at_most_one_set(catalog: Catalog, routine_id: str, minutes: int) -> None:
    standard = {b.exercise.id: b.dose for v in Variant for b in catalog.timeline(routine_id, variant=v).blocks}
    for block in catalog.timeline(routine_id, minutes=minutes).blocks:
        before = standard[block.exercise.id]
        assert (block.dose.reps, block.dose.hold_seconds, block.dose.per_side, block.dose.rest_seconds,
                block.dose.tempo_seconds) == (before.reps, before.hold_seconds, before.per_side,
                                              before.rest_seconds, before.tempo_seconds)
        assert block.dose.sets in (before.sets, before.sets + 1)


@pytest.mark.parametrize(("routine_id", "minutes"), SHORTENED)
def test_a_shortened_routine_keeps_routine_order_and_its_first_exercise(
    catalog: Catalog, routine_id: str, minutes: int
) -> None:
    standard = exercises_of(catalog.timeline(routine_id))
    fitted = exercises_of(catalog.timeline(routine_id, minutes=minutes))
    assert fitted[0] == standard[0]
    assert fitted == [e for e in standard if e in fitted]


def test_a_shortened_stretch_keeps_the_most_of_its_focus(catalog: Catalog) -> None:
    """Three of the five stretches: the calves, one hamstring stretch and the hips, not both hamstring stretches."""
    parts = {p for b in catalog.timeline("recovery", minutes=7).blocks for p in b.exercise.targets}
    assert {"calves", "hamstrings", "hips"} <= parts


@pytest.mark.parametrize(("routine_id", "minutes"), LENGTHENED)
def test_lengthening_never_goes_over_by_more_than_a_minute(catalog: Catalog, routine_id: str, minutes: int) -> None:
    assert catalog.timeline(routine_id, minutes=minutes).seconds <= minutes * 60 + WINDOW_SECONDS


def test_a_built_in_routine_grows_by_the_exercises_of_its_long_form_first(catalog: Catalog) -> None:
    fit = catalog.fit("recovery", 12)
    standard = set(exercises_of(catalog.timeline("recovery")))
    long_only = {s.exercise for s in catalog.routines["recovery"].steps} - standard
    assert fit.met and fit.added and set(fit.added) <= long_only
    assert not fit.borrowed and not fit.second_sets


def test_past_its_long_form_a_built_in_routine_grows_by_second_sets_since_none_of_its_kind_shares_its_setting(
    catalog: Catalog,
) -> None:
    fit = catalog.fit("glutes", 25)
    assert fit.met and fit.second_sets and not fit.borrowed


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_no_built_in_routine_borrows_from_another(catalog: Catalog, routine_id: str) -> None:
    """The desk routine is seated and the glute workout on the floor: they share a kind but not an exercise."""
    assert borrowable(catalog.routines[routine_id], catalog.routines.values()) == []


class MiniStretch:
    """A third-party stretch routine short of five minutes, sharing the calf stretch with the post-run stretch."""

    __name__ = "mini"

    @hookimpl
    def bandcoach_routines(self) -> list[Routine]:
        return [Routine("mini", "Mini stretch", "Calves and groin.", kind=RoutineKind.MOBILITY,
                        steps=(Step("calf_stretch", rest_seconds=10), Step("butterfly_stretch", rest_seconds=0)))]


def test_a_routine_too_short_borrows_exercises_of_a_routine_of_its_kind_before_adding_sets() -> None:
    pm = builtin_manager()
    pm.register_plugin(MiniStretch(), "mini")
    catalog = Catalog.build(pm)
    fit = catalog.fit("mini", 6)
    assert fit.met and fit.borrowed and not fit.second_sets
    assert set(fit.borrowed) <= {"seated_hamstring_stretch", "standing_hamstring_stretch", "hip_flexor_stretch"}
    assert [s.exercise for s in fit.routine.steps][-1] == "butterfly_stretch"  # the finisher stays last


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_a_request_at_the_standard_length_keeps_the_routine_as_it_is(catalog: Catalog, routine_id: str) -> None:
    minutes = round(catalog.timeline(routine_id).seconds / 60)
    assert catalog.fit(routine_id, minutes).routine == catalog.routines[routine_id].derive(Variant.STANDARD)


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_an_absurdly_short_request_gives_one_exercise(catalog: Catalog, routine_id: str) -> None:
    assert len(catalog.timeline(routine_id, minutes=1).blocks) == 1


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_an_absurdly_long_request_gives_the_longest_honest_fit_and_says_it_falls_short(
    catalog: Catalog, routine_id: str
) -> None:
    fit = catalog.fit(routine_id, MAX_MINUTES)
    assert not fit.met
    assert catalog.timeline(routine_id, variant=Variant.LONG).seconds <= fit.seconds < MAX_MINUTES * 60
    assert fit.seconds == catalog.timeline(routine_id, minutes=MAX_MINUTES).seconds


@pytest.mark.parametrize("minutes", [0, -5, MAX_MINUTES + 1])
def test_fit_refuses_a_length_out_of_range(catalog: Catalog, minutes: int) -> None:
    with pytest.raises(ValueError, match="minutes must be"):
        catalog.fit("recovery", minutes)


# Two more rounds of every three-minute treadmill walk leave no whole-exercise fit near 15 minutes.
@pytest.mark.parametrize(("routine_id", "extra_sets"),
                         [(r, e) for r in ROUTINE_IDS for e in (1, 2) if (r, e) != ("treadmill", 2)])
def test_a_fit_counts_the_runners_extra_sets(catalog: Catalog, routine_id: str, extra_sets: int) -> None:
    seconds = catalog.timeline(routine_id, minutes=15, extra_sets=extra_sets).seconds
    assert abs(seconds - 15 * 60) <= WINDOW_SECONDS


def test_fits_are_memoised_per_catalog(catalog: Catalog) -> None:
    assert catalog.fit("glutes", 5) is catalog.fit("glutes", 5)


def test_fitted_timelines_are_memoised_per_catalog(catalog: Catalog) -> None:
    assert catalog.timeline("glutes", minutes=5) is catalog.timeline("glutes", minutes=5)


def test_the_variant_is_ignored_when_minutes_are_given(catalog: Catalog) -> None:
    assert catalog.timeline("desk", variant=Variant.SHORT, minutes=5) is catalog.timeline("desk", minutes=5)


def test_a_fit_is_the_same_exercises_in_every_band_and_locale(catalog: Catalog) -> None:
    us = catalog.timeline("warmup", minutes=5)
    gb = catalog.timeline("warmup", minutes=5, band=BandLevel.HEAVY, locale="en-GB")
    assert exercises_of(gb) == exercises_of(us)


def test_place_minutes_round_trip_through_timeline_at(catalog: Catalog) -> None:
    place = Place("recovery", Variant.STANDARD, BandLevel.LIGHT, minutes=5)
    assert catalog.timeline_at(place) is catalog.timeline("recovery", band=BandLevel.LIGHT, minutes=5)
    assert catalog.timeline_at(place) is not catalog.timeline("recovery", band=BandLevel.LIGHT)


def test_a_fitted_place_is_clamped_to_its_fitted_blocks(catalog: Catalog) -> None:
    blocks = len(catalog.timeline("recovery", minutes=5).blocks)
    clamped = catalog.clamped(Place("recovery", Variant.STANDARD, BandLevel.LIGHT, block=99, minutes=5))
    assert clamped is not None and clamped.minutes == 5 and clamped.block == blocks - 1
    assert catalog.is_last(clamped)


def test_a_place_asking_for_too_many_minutes_is_clamped_to_the_longest_allowed(catalog: Catalog) -> None:
    clamped = catalog.clamped(Place("recovery", Variant.STANDARD, BandLevel.LIGHT, minutes=500))
    assert clamped is not None and clamped.minutes == MAX_MINUTES
