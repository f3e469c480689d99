"""Asking by need: the body parts of the vocabulary, and the routine (or question) a focus, a band, a length choose."""

from __future__ import annotations

import pytest
from support.builtin_catalog import builtin_catalog, builtin_manager

from skill import Exercise, Routine, Step, Variant, hookimpl, needs
from skill.catalog import Catalog
from skill.needs import EQUIPMENT, FOCUS, LENGTH, MOMENTS, Choice, Need, Question, band_for, choose
from skill.routines import BODY_PARTS, RoutineKind


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return builtin_catalog()


def test_the_focus_body_parts_are_the_exercise_body_parts() -> None:
    assert [f for f in FOCUS if f not in MOMENTS] == list(BODY_PARTS)


def test_no_spoken_word_belongs_to_two_values_of_one_slot() -> None:
    for table in (FOCUS, EQUIPMENT, LENGTH):
        owners: dict[str, str] = {}
        for value, words in table.items():
            for word in words:
                assert owners.setdefault(word, value) == value, f"{word!r}: {owners[word]} and {value}"


# What each focus value chooses from the built-ins, with no band or length said.
@pytest.mark.parametrize(("focus", "expected"), [
    ("after_run", "recovery"),
    ("before_run", "warmup"),
    ("hips", Question("Stretch your hips, or strengthen them?", ("recovery", "glutes"))),
    ("glutes", Question("Stretch your glutes, or strengthen them?", ("recovery", "glutes"))),  # the figure-four
    ("hamstrings", Question("Stretch your hamstrings, or strengthen them?", ("recovery", "glutes"))),
    ("calves", "recovery"),
    ("quads", Question("Stretch your quads, or strengthen them?", ("recovery", "glutes"))),
    ("back", "glutes"),
    ("core", "desk"),
    ("inner_thighs", "recovery"),
])
def test_each_focus_chooses_a_routine_or_asks(catalog: Catalog, focus: str, expected: str | Question) -> None:
    choice = choose(catalog, Need(focus=focus))
    if isinstance(expected, Question):
        assert choice == Choice(question=expected)
    else:
        assert choice == Choice(routine=expected)


def test_hips_with_no_moment_asks_to_stretch_or_strengthen(catalog: Catalog) -> None:
    question = choose(catalog, Need(focus="hips")).question
    assert question is not None
    assert question.text == "Stretch your hips, or strengthen them?"
    assert question.routines == ("recovery", "glutes")


@pytest.mark.parametrize(("kind", "routine_id"), [
    (RoutineKind.MOBILITY, "recovery"), (RoutineKind.STRENGTH, "glutes"), (RoutineKind.ACTIVATION, "warmup"),
])
def test_the_answer_to_the_question_chooses_its_kind(catalog: Catalog, kind: RoutineKind, routine_id: str) -> None:
    assert choose(catalog, Need(focus="hips", kind=kind)).routine == routine_id


@pytest.mark.parametrize(("part", "text"), [
    ("hips", "Stretch your hips, or strengthen them?"),
    ("back", "Stretch your lower back, or strengthen it?"),
    ("core", "Stretch your core, or strengthen it?"),
    ("inner_thighs", "Stretch your inner thighs, or strengthen them?"),
])
def test_the_question_names_the_body_part_in_runners_words(part: str, text: str) -> None:
    assert needs.ask_stretch_or_strengthen(part) == text


def test_a_stretch_inside_a_strength_routine_does_not_count_as_strengthening(catalog: Catalog) -> None:
    """The desk routine ends with a calf stretch: "strengthen my calves" finds no strength routine for it."""
    assert choose(catalog, Need(focus="calves", kind=RoutineKind.STRENGTH)) == Choice()


def test_a_routine_named_for_the_body_part_comes_first_among_its_kind(catalog: Catalog) -> None:
    """The desk routine spends a little more of its time on the hips; the glute workout answers to "hip strength"."""
    assert choose(catalog, Need(focus="hips", kind=RoutineKind.STRENGTH)).routine == "glutes"


@pytest.mark.parametrize(("focus", "equipment", "routine_id"), [
    ("hips", "loop_band", "glutes"),  # the stretches are held by the band's ends: the loop band decides
    ("hips", "long_band", "recovery"),
    ("hamstrings", "long_band", "recovery"),
    ("after_run", "long_band", "recovery"),
    ("before_run", "loop_band", "warmup"),
    ("glutes", "long_band", "recovery"),  # the figure-four stretch holds a long band; every glute move needs a loop
    ("after_run", "loop_band", None),  # every stretch holds a long band's ends
    (None, "loop_band", "glutes"),
    (None, "long_band", "recovery"),
    (None, "treadmill", "treadmill"),  # a routine that needs a machine only when the runner names it
    ("before_run", "treadmill", "treadmill"),
])
def test_the_band_chooses_routines_whose_placements_suit_it(
    catalog: Catalog, focus: str | None, equipment: str, routine_id: str | None
) -> None:
    assert choose(catalog, Need(focus=focus, equipment=equipment)) == Choice(routine=routine_id)


@pytest.mark.parametrize(("focus", "routine_id"), [("core", "desk"), ("after_run", "recovery")])
def test_no_band_chooses_as_usual_and_says_the_band_is_optional(
    catalog: Catalog, focus: str, routine_id: str
) -> None:
    assert choose(catalog, Need(focus=focus, equipment="no_band")) == Choice(routine=routine_id, without_band=True)


@pytest.mark.parametrize("need", [Need(), Need(equipment="no_band"), Need(length="quick"), Need(minutes=10)],
                         ids=["nothing", "no band", "a length word", "minutes"])
def test_a_need_with_no_focus_or_band_picks_no_routine(catalog: Catalog, need: Need) -> None:
    choice = choose(catalog, need)
    assert choice.routine is None and choice.question is None


@pytest.mark.parametrize(("placement", "band"), [
    ("around your ankles", "loop_band"), ("just above your knees", "loop_band"),
    ("around the tops of both feet", "loop_band"),
    ("around the ball of one foot, ends in your hands", "long_band"),
    ("around the front of your back ankle, ends over your shoulder", "long_band"),
])
def test_a_placement_that_holds_the_bands_ends_needs_a_long_band(placement: str, band: str) -> None:
    exercise = Exercise("x", "X", placement, "Stand.", ("Breathe.",), reps=10)
    assert band_for(exercise) == band


@pytest.mark.parametrize(("need", "variant"), [
    (Need(length="quick"), Variant.SHORT), (Need(length="long"), Variant.LONG), (Need(), Variant.STANDARD),
    (Need(length="quick", minutes=5), Variant.STANDARD),
])
def test_a_length_word_is_a_variant_unless_minutes_are_given(need: Need, variant: Variant) -> None:
    assert need.variant is variant


@pytest.mark.parametrize("fields", [{"focus": "elbows"}, {"equipment": "kettlebell"}, {"length": "medium"},
                                    {"minutes": 0}, {"minutes": 61}])
def test_a_need_outside_the_vocabulary_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"unknown|minutes must be"):
        Need(**fields)


class SecondStretch:
    """A third-party stretch routine exactly like the built-in one, registered after it."""

    __name__ = "second"

    @hookimpl
    def bandcoach_routines(self) -> list[Routine]:
        return [Routine("second", "Second stretch", "The same again.", kind=RoutineKind.MOBILITY,
                        steps=(Step("calf_stretch", rest_seconds=10), Step("seated_hamstring_stretch", rest_seconds=10),
                               Step("standing_hamstring_stretch", rest_seconds=10),
                               Step("hip_flexor_stretch", rest_seconds=10),
                               Step("butterfly_stretch", hold_seconds=45, rest_seconds=0)))]


def test_equal_routines_are_chosen_in_catalog_order() -> None:
    pm = builtin_manager()
    pm.register_plugin(SecondStretch(), "second")
    catalog = Catalog.build(pm)
    assert choose(catalog, Need(focus="after_run")).routine == "recovery"
    assert choose(catalog, Need(focus="calves")).routine == "recovery"
