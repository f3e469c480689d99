"""Building the catalog from plugins: built-ins, third-party additions, bad plugins, spoken-name lookups."""

from __future__ import annotations

import pytest
from support.builtin_catalog import ROUTINE_IDS, builtin_catalog, builtin_manager, failures_of

from skill import BandLevel, Cue, Exercise, Routine, Step, Variant, hookimpl
from skill.catalog import Catalog, normalise


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return builtin_catalog()


def yoga_routine(*exercise_ids: str, routine_id: str = "yoga") -> Routine:
    steps = tuple(Step(e, rest_seconds=15) for e in exercise_ids or ("butterfly_stretch", "calf_stretch"))
    return Routine(routine_id, "Runner's yoga", "Stretch like a yogi.", steps, aliases=("yoga",))


class Yoga:
    """An in-test third-party plugin that adds one routine built from the shared library."""

    __name__ = "yoga"

    def __init__(self, *routines: Routine) -> None:
        self.routines = list(routines) or [yoga_routine()]

    @hookimpl
    def bandcoach_routines(self) -> list[Routine]:
        return self.routines


def test_catalog_from_a_fresh_manager_has_the_builtin_routines(catalog: Catalog) -> None:
    assert sorted(catalog.routines) == sorted(ROUTINE_IDS)


def test_catalog_records_which_plugin_offers_each_routine(catalog: Catalog) -> None:
    assert {rid: r.plugin for rid, r in catalog.routines.items()} == {rid: rid for rid in ROUTINE_IDS}


def test_catalog_records_which_plugin_defined_each_exercise(catalog: Catalog) -> None:
    assert set(catalog.exercise_owner.values()) == {"exercises"}


@pytest.mark.parametrize(("spoken", "routine_id"), [
    ("post-run stretch", "recovery"), ("Post run stretch", "recovery"), ("cool down", "recovery"),
    ("cool me down", "recovery"), ("at my desk", "desk"), ("office", "desk"), ("booty", "glutes"),
    ("the glutes", "glutes"), ("pre-run warm-up", "warmup"), ("warm up", "warmup"), ("activation", "warmup"),
    ("warmup", "warmup"),
])
def test_find_routine_resolves_spoken_names(catalog: Catalog, spoken: str, routine_id: str) -> None:
    assert catalog.find_routine(spoken).id == routine_id


@pytest.mark.parametrize("spoken", ["", None, "marathon", "yoga"])
def test_find_routine_returns_none_for_unknown_names(catalog: Catalog, spoken: str | None) -> None:
    assert catalog.find_routine(spoken) is None


@pytest.mark.parametrize(("spoken", "level"), [
    ("green", BandLevel.LIGHT), ("yellow band", BandLevel.LIGHT), ("red", BandLevel.MEDIUM),
    ("blue", BandLevel.MEDIUM), ("black", BandLevel.HEAVY), ("the silver band", BandLevel.HEAVY),
    ("heavy", BandLevel.HEAVY), ("easy", BandLevel.LIGHT), ("strong", BandLevel.HEAVY),
])
def test_find_band_resolves_levels_colours_and_synonyms(catalog: Catalog, spoken: str, level: BandLevel) -> None:
    assert catalog.find_band(spoken) is level


def test_find_band_returns_none_for_an_unknown_colour(catalog: Catalog) -> None:
    assert catalog.find_band("purple") is None


@pytest.mark.parametrize(("spoken", "exercise_id"), [
    ("side steps", "lateral_walk_ankles"), ("crab walk", "lateral_walk_ankles"),
    ("donkey kicks", "donkey_kick"), ("butt kick-back", "all_fours_kickback"), ("clams", "clamshell"),
    ("calf stretch", "calf_stretch"),
    ("glute_bridge", "glute_bridge"),
])
def test_find_exercise_resolves_spoken_names_and_ids(catalog: Catalog, spoken: str, exercise_id: str) -> None:
    assert catalog.find_exercise(spoken).id == exercise_id


def test_normalise_folds_case_punctuation_and_filler_words() -> None:
    assert normalise("The Post-Run  Stretch!") == normalise("post run stretch")


def test_a_third_party_plugin_object_adds_a_routine() -> None:
    pm = builtin_manager()
    assert pm.register_plugin(Yoga(), "yoga")
    catalog = Catalog.build(pm)
    assert catalog.routines["yoga"].plugin == "yoga"
    assert catalog.find_routine("yoga").id == "yoga"
    assert set(ROUTINE_IDS) < set(catalog.routines)


def test_a_plugin_that_raises_is_skipped_and_recorded_while_builtins_load() -> None:
    class Broken:
        __name__ = "broken"

        @hookimpl
        def bandcoach_routines(self) -> list[Routine]:
            raise RuntimeError("data file went missing")

    pm = builtin_manager()
    pm.register_plugin(Broken(), "broken")
    catalog = Catalog.build(pm)
    assert failures_of(pm, "broken") == ["bandcoach_routines: RuntimeError: data file went missing"]
    assert sorted(catalog.routines) == sorted(ROUTINE_IDS)


def test_a_routine_naming_an_unknown_exercise_is_rejected() -> None:
    pm = builtin_manager()
    pm.register_plugin(Yoga(yoga_routine("butterfly_stretch", "headstand")), "yoga")
    catalog = Catalog.build(pm)
    assert "yoga" not in catalog.routines
    assert failures_of(pm, "yoga") == ["routine 'yoga' names unknown exercises ['headstand']"]


def test_a_duplicate_routine_id_is_rejected_naming_both_plugins() -> None:
    pm = builtin_manager()
    pm.register_plugin(Yoga(yoga_routine(routine_id="recovery")), "yoga")
    catalog = Catalog.build(pm)
    assert catalog.routines["recovery"].plugin == "recovery"
    (error,) = failures_of(pm, "yoga")
    assert "'recovery'" in error and "already offered by recovery" in error


def test_a_duplicate_exercise_id_is_rejected_and_the_first_kept() -> None:
    class Copycat:
        __name__ = "copycat"

        @hookimpl
        def bandcoach_exercises(self) -> list[Exercise]:
            return [Exercise("clamshell", "Fake clam", "nowhere", "Nothing.", ("None.",), reps=5)]

    pm = builtin_manager()
    pm.register_plugin(Copycat(), "copycat")
    catalog = Catalog.build(pm)
    assert catalog.exercises["clamshell"].name == "Clamshell"
    assert failures_of(pm, "copycat") == ["exercise 'clamshell' is already defined by exercises"]


def test_a_plugin_returning_the_wrong_type_is_rejected() -> None:
    class Sloppy:
        __name__ = "sloppy"

        @hookimpl
        def bandcoach_routines(self) -> str:
            return "recovery"

    pm = builtin_manager()
    pm.register_plugin(Sloppy(), "sloppy")
    Catalog.build(pm)
    assert failures_of(pm, "sloppy") == ["bandcoach_routines must return a list, not str"]


def test_a_plugin_adds_band_colours_without_overriding_builtin_names() -> None:
    class Colours:
        __name__ = "colours"

        @hookimpl
        def bandcoach_band_aliases(self) -> dict[str, BandLevel]:
            return {"purple": BandLevel.HEAVY, "green": BandLevel.HEAVY}

    pm = builtin_manager()
    pm.register_plugin(Colours(), "colours")
    catalog = Catalog.build(pm)
    assert catalog.find_band("purple") is BandLevel.HEAVY
    assert catalog.find_band("green") is BandLevel.LIGHT


def test_a_cue_text_plugin_rewords_one_kind_and_defers_the_rest_to_the_builtin() -> None:
    class Pirate:
        __name__ = "pirate"

        @hookimpl
        def bandcoach_cue_text(self, cue: Cue, locale: str) -> str | None:
            return "Swap yer sides, matey." if cue.kind == "switch_sides" else None

    pm = builtin_manager()
    pm.register_plugin(Pirate(), "pirate")
    catalog = Catalog.build(pm)
    assert catalog.cue_text(Cue("switch_sides", 5.0, {"side": "right"}), "en-US") == "Swap yer sides, matey."
    assert catalog.cue_text(Cue("ten_left", 7.0, {"seconds": 10}), "en-US") == "Ten seconds left."


def test_timelines_are_memoised_per_catalog(catalog: Catalog) -> None:
    assert catalog.timeline("desk") is catalog.timeline("desk")


def test_timeline_uses_the_routine_band_unless_one_is_given(catalog: Catalog) -> None:
    assert catalog.timeline("glutes").band is BandLevel.LIGHT  # every routine starts light
    assert catalog.timeline("glutes", band=BandLevel.HEAVY).band is BandLevel.HEAVY


@pytest.mark.parametrize("variant", list(Variant))
def test_variant_for_minutes_picks_the_variant_nearest_in_length(catalog: Catalog, variant: Variant) -> None:
    minutes = catalog.timeline("recovery", variant=variant).seconds / 60
    assert catalog.variant_for_minutes("recovery", minutes) is variant


def test_variant_for_minutes_without_minutes_is_standard(catalog: Catalog) -> None:
    assert catalog.variant_for_minutes("recovery", None) is Variant.STANDARD
