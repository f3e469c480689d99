"""The built-in plugins: the exercise library, the four routines, band colours and the coaching words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.builtin_catalog import BUILTIN_CONTENT, ROUTINE_IDS, builtin_catalog, builtin_manager, failures_of

from plugins import coaching, desk, exercises, glutes, loader, recovery, treadmill, warmup
from skill import BandLevel, Cue, Exercise, Routine, Variant, hookimpl
from skill.catalog import Catalog, normalise

ROUTINE_PLUGINS = {"warmup": warmup, "desk": desk, "glutes": glutes, "recovery": recovery, "treadmill": treadmill}
LIBRARY = {e.id: e for e in exercises.bandcoach_exercises()}
LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return builtin_catalog()


# --- the exercise library -------------------------------------------------------------------------

def test_hook_bandcoach_exercises_returns_valid_exercises_with_unique_ids() -> None:
    items = exercises.bandcoach_exercises()
    assert all(isinstance(e, Exercise) for e in items)
    assert len({e.id for e in items}) == len(items) >= 15


@pytest.mark.parametrize("exercise_id", [
    "ankle_jumping_jacks", "lateral_walk_ankles", "lateral_walk_knees", "band_squat", "standing_kickback",
    "seated_hip_abduction", "seated_band_bicycle", "all_fours_kickback", "glute_bridge", "clamshell",
    "monster_walk", "butterfly_stretch", "seated_hamstring_stretch", "standing_hamstring_stretch",
    "calf_stretch", "hip_flexor_stretch",
])
def test_library_has_the_runner_band_exercises(exercise_id: str) -> None:
    assert exercise_id in LIBRARY


def test_lateral_walk_has_ankle_and_knee_placements() -> None:
    assert "ankles" in LIBRARY["lateral_walk_ankles"].placement
    assert "knees" in LIBRARY["lateral_walk_knees"].placement


@pytest.mark.parametrize("exercise", LIBRARY.values(), ids=list(LIBRARY))
def test_setup_is_one_or_two_spoken_sentences(exercise: Exercise) -> None:
    assert 1 <= len(re.findall(r"[.!?](\s|$)", exercise.setup)) <= 2


@pytest.mark.parametrize("exercise", LIBRARY.values(), ids=list(LIBRARY))
def test_every_exercise_has_a_one_line_reminder_for_a_runner_who_knows_it(exercise: Exercise) -> None:
    assert exercise.cue and exercise.cue.count(".") == 1 and len(exercise.cue) < len(exercise.setup)


@pytest.mark.parametrize("exercise", LIBRARY.values(), ids=list(LIBRARY))
def test_every_exercise_has_aliases_a_runner_might_say(exercise: Exercise) -> None:
    assert exercise.aliases and all(a == a.lower() for a in exercise.aliases)


def test_stretches_hold_treadmill_walks_are_timed_and_movements_count_reps() -> None:
    stretches = {i for i in LIBRARY if i.endswith("_stretch")}
    walks = {i for i in LIBRARY if i.startswith("treadmill_")}
    assert stretches and all(LIBRARY[i].hold_seconds for i in stretches)
    assert walks and all(LIBRARY[i].work_seconds for i in walks)
    assert all(e.reps for i, e in LIBRARY.items() if i not in stretches | walks)


@pytest.mark.parametrize("exercise", LIBRARY.values(), ids=list(LIBRARY))
def test_every_exercise_says_what_it_works(exercise: Exercise) -> None:
    assert exercise.targets


# What an exercise works or stretches, as its name and setup say; a wrong target would send "something for my
# calves" to the wrong routine.
@pytest.mark.parametrize(("exercise_id", "part"), [
    ("calf_stretch", "calves"), ("seated_hamstring_stretch", "hamstrings"),
    ("standing_hamstring_stretch", "hamstrings"), ("hip_flexor_stretch", "hips"),
    ("butterfly_stretch", "inner_thighs"), ("glute_bridge", "glutes"), ("clamshell", "glutes"),
    ("seated_band_bicycle", "core"), ("band_squat", "quads"),
])
def test_an_exercise_targets_what_it_is_named_for(exercise_id: str, part: str) -> None:
    assert part in LIBRARY[exercise_id].targets


def test_no_spoken_name_belongs_to_two_exercises() -> None:
    owners: dict[str, str] = {}
    for e in LIBRARY.values():
        for name in {normalise(n) for n in (e.id, *e.spoken_names)}:
            assert owners.setdefault(name, e.id) == e.id, f"{name!r}: {owners[name]} and {e.id}"


# --- band colours ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("colour", "level"), [
    ("yellow", BandLevel.LIGHT), ("green", BandLevel.LIGHT), ("red", BandLevel.MEDIUM), ("blue", BandLevel.MEDIUM),
    ("black", BandLevel.HEAVY), ("silver", BandLevel.HEAVY), ("gold", BandLevel.HEAVY),
])
def test_hook_bandcoach_band_aliases_maps_common_colours(colour: str, level: BandLevel) -> None:
    assert exercises.bandcoach_band_aliases()[colour] is level


def test_band_aliases_are_lowercase_and_never_rename_a_level() -> None:
    aliases = exercises.bandcoach_band_aliases()
    assert all(name == name.lower() for name in aliases)
    assert not set(aliases) & {level.value for level in BandLevel}


# --- the routines -----------------------------------------------------------------------------------

@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_hook_bandcoach_routines_returns_one_routine_named_for_its_plugin(routine_id: str) -> None:
    (routine,) = ROUTINE_PLUGINS[routine_id].bandcoach_routines()
    assert isinstance(routine, Routine) and routine.id == routine_id and routine.goal


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_every_routine_step_names_a_library_exercise(routine_id: str) -> None:
    (routine,) = ROUTINE_PLUGINS[routine_id].bandcoach_routines()
    assert {s.exercise for s in routine.steps} <= set(LIBRARY)


@pytest.mark.parametrize(("routine_id", "aliases"), [
    ("recovery", {"post-run stretch", "post run stretch", "cool down", "cooldown", "stretch", "stretch me out"}),
    ("warmup", {"pre-run warm-up", "warm up", "warmup", "activation"}),
    ("desk", {"office", "chair", "at my desk", "work", "desk"}),
    ("glutes", {"butt", "booty", "glute", "strength", "hotel room"}),
])
def test_routine_answers_to_what_runners_say(routine_id: str, aliases: set[str]) -> None:
    (routine,) = ROUTINE_PLUGINS[routine_id].bandcoach_routines()
    assert aliases <= set(routine.aliases)


def test_no_spoken_name_belongs_to_two_routines(catalog: Catalog) -> None:
    owners: dict[str, str] = {}
    for r in catalog.routines.values():
        for name in {normalise(n) for n in (r.id, *r.spoken_names)}:
            assert owners.setdefault(name, r.id) == r.id, f"{name!r}: {owners[name]} and {r.id}"


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_standard_routine_lasts_five_to_fifteen_minutes(catalog: Catalog, routine_id: str) -> None:
    assert 5 * 60 <= catalog.timeline(routine_id).seconds <= 15 * 60


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_short_is_shorter_and_long_is_longer_than_standard(catalog: Catalog, routine_id: str) -> None:
    short, standard, long = (catalog.timeline(routine_id, variant=v).seconds for v in Variant)
    assert short < standard < long


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_every_cue_of_every_band_and_variant_has_words(catalog: Catalog, routine_id: str) -> None:
    for band in BandLevel:
        for variant in Variant:
            cues = catalog.timeline(routine_id, band=band, variant=variant).cues()
            assert all(c.text.strip() and "<" not in c.text for c in cues), (band, variant)


@pytest.mark.parametrize("routine_id", ROUTINE_IDS)
def test_per_side_exercises_tell_the_runner_to_switch_sides(catalog: Catalog, routine_id: str) -> None:
    for block in catalog.timeline(routine_id).blocks:
        switches = [c.text for c in block.cues if c.kind == "switch_sides"]
        assert (len(switches) == block.dose.sets) if block.dose.per_side else not switches
        # an exercise whose switch moves the body says how; any other names the side to go to
        said = block.exercise.switch or f"Switch sides: {block.exercise.side_names[1]} now."
        assert all(t == said for t in switches)


def rests_and_what_follows(catalog: Catalog, shortest: int, longest: int) -> dict[tuple[str, int], list[str]]:
    """The four lines after each rest of `shortest` to `longest` seconds, across all built-in routines."""
    followers = {}
    for routine_id in ROUTINE_IDS:
        cues = catalog.timeline(routine_id).cues()
        followers |= {(routine_id, i): [c.text for c in cues[i + 1:i + 5]] for i, cue in enumerate(cues)
                      if cue.kind == "rest" and shortest <= cue.params["seconds"] <= longest}
    return followers


def test_rests_of_thirty_seconds_or_more_warn_at_ten_seconds_then_count_three_two_one(catalog: Catalog) -> None:
    """Across all built-in routines (not every routine has a long rest, so none is checked alone)."""
    followers = rests_and_what_follows(catalog, 30, 600)
    assert followers, "no built-in routine has a rest of 30 seconds or more"
    assert all(texts == ["Ten seconds left.", "Three.", "Two.", "One."] for texts in followers.values()), followers


def test_shorter_rests_count_three_two_one_without_a_warning(catalog: Catalog) -> None:
    followers = rests_and_what_follows(catalog, 8, 29)
    assert followers, "no built-in routine has a rest of 8 to 29 seconds"
    assert all(texts[:3] == ["Three.", "Two.", "One."] for texts in followers.values()), followers


def test_builtin_plugins_load_from_a_fresh_manager_without_failures() -> None:
    pm = builtin_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert set(BUILTIN_CONTENT) <= names
    assert not [f for f in pm.failures if f.name in BUILTIN_CONTENT]


def test_coaching_is_the_overridable_default() -> None:
    pm = builtin_manager()
    (impl,) = [i for i in pm.hook.bandcoach_cue_text.get_hookimpls() if i.plugin_name == "coaching"]
    assert impl.trylast


# --- the coaching words -----------------------------------------------------------------------------

def words(cue_kind: str, locale: str = "en-US", **params: object) -> str:
    return coaching.bandcoach_cue_text(Cue(cue_kind, 1.0, params), locale)


def test_hook_bandcoach_cue_text_exercise_says_where_we_are_and_the_band() -> None:
    walk = LIBRARY["lateral_walk_ankles"]
    text = words("exercise", exercise=walk.name, number=2, of=6, placement=walk.placement, band="light",
                 kind=walk.band_kind.spoken)
    assert text == "Exercise 2 of 6: lateral walk at the ankles. Light loop band around your ankles."


def test_an_exercise_that_keeps_the_band_where_it_was_says_so_instead_of_the_placement() -> None:
    calf = LIBRARY["bent_knee_calf_stretch"]
    text = words("exercise", exercise=calf.name, number=3, of=6, placement=calf.placement, band="light",
                 band_stays=True)
    assert text == "Exercise 3 of 6: bent-knee calf stretch. Keep the band where it is."


def test_setup_says_how_to_get_into_position_and_any_caution() -> None:
    jacks = LIBRARY["ankle_jumping_jacks"]
    text = words("setup", exercise=jacks.name, setup=jacks.setup, caution=jacks.caution)
    assert text == f"{jacks.setup} {jacks.caution}"


def test_a_familiar_exercise_gets_its_one_line_reminder() -> None:
    walk = LIBRARY["lateral_walk_ankles"]
    assert words("setup", exercise=walk.name, setup=walk.reminder, brief=True) == walk.reminder


@pytest.mark.parametrize(("params", "dose"), [
    ({"sets": 3, "reps": 12, "hold": None, "per_side": False}, "3 sets of 12 reps."),
    ({"sets": 1, "reps": None, "hold": 30, "per_side": False}, "Hold for 30 seconds."),
    ({"sets": 2, "reps": None, "hold": 30, "per_side": True}, "2 holds of 30 seconds on each side."),
])
def test_dose_states_sets_reps_holds_and_sides(params: dict[str, object], dose: str) -> None:
    assert words("dose", **params) == dose


def test_rest_before_the_next_exercise_names_it() -> None:
    text = words("rest", seconds=20, between_sets=False, next="Calf stretch")
    assert text == "Rest for 20 seconds. Next up: calf stretch."


def test_rest_between_sets_promises_another_set() -> None:
    assert words("rest", seconds=20, between_sets=True, next=None) == "Rest for 20 seconds. Then we go again."


@pytest.mark.parametrize(("n", "text"), [(3, "Three."), (2, "Two."), (1, "One.")])
def test_count_is_spoken_as_a_word(n: int, text: str) -> None:
    assert words("count", n=n) == text


@pytest.mark.parametrize(("kind", "params", "text"), [
    ("switch_sides", {"side": "right leg"}, "Switch sides: right leg now."),
    ("side", {"side": "left leg", "first": True}, "Left leg first."),
    ("last_one", {}, "Last one."),
    ("last_one", {"turn": 1}, "And the last one."),
    ("ten_left", {"seconds": 10}, "Ten seconds left."),
    ("set", {"set": 2, "of": 3}, "Set 2 of 3."),
    ("go", {}, "Go!"),
    ("go", {"turn": 1}, "And go."),
    ("go_timed", {"seconds": 120}, "Go! 2 minutes, starting now."),
    ("time_up", {}, "And stop."),
    ("form", {"tip": "Keep your knees out."}, "Keep your knees out."),
    ("halfway", {"seconds": 15}, "Halfway. 15 seconds to go."),
    ("release", {}, "And release."),
    ("next_up", {"exercise": "Glute bridge"}, "Next up: glute bridge."),
])
def test_short_cues_have_plain_coaching_words(kind: str, params: dict[str, object], text: str) -> None:
    assert words(kind, **params) == text


def test_intro_is_one_sentence_naming_the_routine_and_its_length() -> None:
    text = words("intro", routine="Post-run stretch", goal="Ease out your calves.", steps=5, band="light")
    assert text == "Here's your post-run stretch: five exercises."


@pytest.mark.parametrize(("kind", "says"), [
    ("activation", "first five minutes of your run easy"), ("mobility", "well done on today's run"),
    ("strength", "Great work today"),
])
def test_the_end_line_fits_what_the_routine_was_for(kind: str, says: str) -> None:
    assert says in words("outro", routine="Routine", kind=kind)


def test_outro_congratulates_and_names_the_routine() -> None:
    text = words("outro", routine="Desk routine")
    assert "desk routine" in text and "work" in text.lower()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_english_locale_gets_words_for_every_kind(locale: str) -> None:
    for kind in ("switch_sides", "last_one", "release", "ten_left"):
        assert words(kind, locale) == words(kind, "en-US")
    assert "Desk routine".lower() in words("outro", locale, routine="Desk routine")


def test_an_unsupported_locale_falls_back_to_english() -> None:
    assert words("switch_sides", "de-DE") == "Switch sides."


def test_an_unknown_cue_kind_still_gets_a_line() -> None:
    assert words("breathe_deeply") == "Breathe deeply."


def test_a_cue_missing_a_param_gets_a_generic_line_rather_than_silence() -> None:
    assert words("halfway") == "Halfway."


# --- bad data files ---------------------------------------------------------------------------------

EXERCISE = """
[[exercise]]
id = "clam"
name = "Clamshell"
placement = "above your knees"
setup = "Lie on your side."
tips = ["Heels together."]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_loader_reads_a_minimal_exercise(tmp_path: Path) -> None:
    (clam,) = loader.load_exercises("ex.toml", data_dir=write(tmp_path, "ex.toml", EXERCISE + "reps = 10\n"))
    assert clam == Exercise("clam", "Clamshell", "above your knees", "Lie on your side.", ("Heels together.",),
                            reps=10)


def test_loader_reads_an_exercises_targets(tmp_path: Path) -> None:
    text = EXERCISE + 'reps = 10\ntargets = ["glutes", "hips"]\n'
    (clam,) = loader.load_exercises("ex.toml", data_dir=write(tmp_path, "ex.toml", text))
    assert clam.targets == ("glutes", "hips")


@pytest.mark.parametrize(("extra", "field", "why"), [
    ("reps = 10\nhold_seconds = 30\n", "exercise 'clam'", "exactly one of reps, hold_seconds or work_seconds"),
    ('reps = "ten"\n', "field 'reps'", "expected int, got 'ten'"),
    ('reps = 10\nband = "purple"\n', "field 'band'", "expected one of ['light', 'medium', 'heavy']"),
    ("reps = 10\nrepz = 3\n", "field 'repz'", "unknown field"),
    ("reps = 10\nper_side = 1\n", "field 'per_side'", "expected bool"),
    ('reps = 10\nside_names = ["left"]\n', "field 'side_names'", "expected 2 items"),
    ('reps = 10\nplugin = "me"\n', "field 'plugin'", "unknown field"),
    ('reps = 10\ntargets = ["knees"]\n', "exercise 'clam'", "unknown body part 'knees' in targets"),
    ('reps = 10\ntargets = "glutes"\n', "field 'targets'", "expected a list"),
])
def test_a_bad_exercise_field_is_named_with_the_file(tmp_path: Path, extra: str, field: str, why: str) -> None:
    with pytest.raises(loader.DataFileError) as caught:
        loader.load_exercises("ex.toml", data_dir=write(tmp_path, "ex.toml", EXERCISE + extra))
    message = str(caught.value)
    assert message.startswith("bad data file ex.toml: ") and field in message and why in message


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    text = EXERCISE.replace('name = "Clamshell"\n', "") + "reps = 10\n"
    with pytest.raises(loader.DataFileError, match=r"ex\.toml: exercise 'clam': missing field 'name'"):
        loader.load_exercises("ex.toml", data_dir=write(tmp_path, "ex.toml", text))


def test_a_step_with_a_bad_field_is_located_in_its_routine(tmp_path: Path) -> None:
    text = '[[routine]]\nid = "r"\nname = "R"\ngoal = "G."\n[[routine.steps]]\nexercise = "clam"\nsets = "two"\n'
    with pytest.raises(loader.DataFileError, match=r"r.toml: routine 'r', step 1, field 'sets': expected int"):
        loader.load_routines("r.toml", data_dir=write(tmp_path, "r.toml", text))


def test_a_routine_without_steps_is_refused(tmp_path: Path) -> None:
    text = '[[routine]]\nid = "r"\nname = "R"\ngoal = "G."\n'
    with pytest.raises(loader.DataFileError, match=r"routine 'r', field 'steps': expected one or more"):
        loader.load_routines("r.toml", data_dir=write(tmp_path, "r.toml", text))


def test_invalid_toml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(loader.DataFileError, match=r"bad data file r\.toml: not valid TOML"):
        loader.load_routines("r.toml", data_dir=write(tmp_path, "r.toml", "[[routine]\n"))


def test_a_missing_data_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(loader.DataFileError, match=r"nope\.toml: the file does not exist"):
        loader.load_routines("nope.toml", data_dir=tmp_path)


def test_a_phrase_table_missing_a_cue_kind_is_refused(tmp_path: Path) -> None:
    text = (loader.DATA_DIR / "cues.toml").read_text(encoding="utf-8").replace('ten_left = "Ten seconds left."', "")
    with pytest.raises(loader.DataFileError, match=r"cues.toml: \[en\] field 'ten_left': missing"):
        coaching.load_phrase_tables("cues.toml", data_dir=write(tmp_path, "cues.toml", text))


def test_a_plugin_with_a_bad_data_file_is_skipped_with_the_file_named(tmp_path: Path) -> None:
    data_dir = write(tmp_path, "yoga.toml", '[[routine]]\nid = "yoga"\nname = "Yoga"\n')

    class Yoga:
        __name__ = "yoga"

        @hookimpl
        def bandcoach_routines(self) -> list[Routine]:
            return loader.load_routines("yoga.toml", data_dir=data_dir)

    pm = builtin_manager()
    pm.register_plugin(Yoga(), "yoga")
    catalog = Catalog.build(pm)
    (error,) = failures_of(pm, "yoga")
    assert "yoga.toml" in error and "'steps'" in error
    assert sorted(catalog.routines) == sorted(ROUTINE_IDS)
