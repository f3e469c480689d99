"""Expanding a routine into timed cues: order, counts, sides, rests, and time budgets for speech."""

from __future__ import annotations

from itertools import accumulate

import pytest

from skill.routines import BandLevel, Exercise, Routine, Step
from skill.timeline import TONE, TONE_SLOTS, Cue, Timeline, build_timeline, speech_seconds, with_tones, worked

EXERCISES = {
    "squat": Exercise("squat", "Band squat", "above your knees", "Feet wide.", ("Knees out.",), reps=12),
    "jacks": Exercise("jacks", "Jacks", "around your ankles", "Stand tall.", ("Land softly.",), reps=4,
                      tempo_seconds=1.5),
    "clam": Exercise("clam", "Clamshell", "above your knees", "Lie on your side.", ("Heels together.",),
                     reps=10, per_side=True),
    "calf": Exercise("calf", "Calf stretch", "around one foot", "Sit tall.", ("No bouncing.",),
                     hold_seconds=30, per_side=True),
    "short_hold": Exercise("short_hold", "Short hold", "around one foot", "Sit tall.", ("Breathe.",),
                           hold_seconds=15),
}


def kind_words(cue: Cue, locale: str) -> str:
    """Wording that names the cue kind, so tests can read the timeline."""
    return cue.kind.replace("_", " ")


def timeline(*steps: Step, wording=kind_words, extra_sets: int = 0) -> Timeline:
    r = Routine("test", "Test", "Test the timeline.", steps=steps)
    return build_timeline(r, EXERCISES, band=BandLevel.LIGHT, wording=wording, extra_sets=extra_sets)


def kinds(t: Timeline) -> list[str]:
    return [c.kind for c in t.cues()]


def test_timeline_starts_with_intro_and_setup_and_ends_with_outro() -> None:
    k = kinds(timeline(Step("squat"), Step("jacks")))
    assert k[:4] == ["intro", "exercise", "setup", "dose"]
    assert k[-1] == "outro"
    assert k.count("intro") == 1 and k.count("outro") == 1


def test_intro_names_the_routine_goal_step_count_band_and_kind() -> None:
    intro = timeline(Step("squat"), Step("jacks")).cues()[0]
    assert dict(intro.params) == {"routine": "Test", "goal": "Test the timeline.", "steps": 2, "band": "light",
                                  "kind": "strength"}


def test_counted_reps_are_go_then_a_count_per_rep_then_last_one() -> None:
    t = timeline(Step("jacks"))
    work = [c for c in t.cues() if c.kind in {"go", "rep", "form", "last_one"}]
    assert [c.kind for c in work] == ["go", "rep", "rep", "last_one"]
    assert [c.params["n"] for c in work if c.kind == "rep"] == [1, 2]


def test_every_counted_rep_gets_the_exercises_tempo() -> None:
    work = [c for c in timeline(Step("squat")).cues() if c.kind in {"go", "rep", "form", "last_one"}]
    assert sum(c.seconds for c in work) == 12 * EXERCISES["squat"].tempo_seconds


def test_a_set_of_six_reps_or_more_has_one_form_cue_in_the_middle() -> None:
    k = [c for c in kinds(timeline(Step("squat"))) if c in {"go", "rep", "form", "last_one"}]
    assert k.count("form") == 1
    assert 0.25 < k.index("form") / len(k) < 0.75


def test_a_set_of_fewer_than_six_reps_has_no_form_cue() -> None:
    assert "form" not in kinds(timeline(Step("jacks")))


def test_per_side_exercise_names_the_first_side_then_switches_once() -> None:
    k = kinds(timeline(Step("clam")))
    assert k.count("side") == 1 and k.count("switch_sides") == 1
    assert k.index("side") < k.index("switch_sides")


def test_each_set_of_a_per_side_exercise_works_both_sides() -> None:
    assert kinds(timeline(Step("clam", sets=3))).count("switch_sides") == 3


def test_long_hold_has_a_form_cue_at_halfway_then_three_two_one_and_release() -> None:
    t = timeline(Step("calf"))
    work = [c for c in t.cues() if c.kind in {"hold", "form", "count", "release"}][:6]
    assert [c.kind for c in work] == ["hold", "form", "count", "count", "count", "release"]
    assert [c.params["n"] for c in work if c.kind == "count"] == [3, 2, 1]
    assert work[0].seconds == 15 and sum(c.seconds for c in work[:5]) == 30


def test_short_hold_has_no_form_cue() -> None:
    assert "form" not in kinds(timeline(Step("short_hold")))


def test_rest_of_fifteen_seconds_or_more_has_ten_seconds_left_and_a_countdown() -> None:
    t = timeline(Step("squat", rest_seconds=30), Step("jacks"))
    rest = list(t.blocks[0].rest)
    assert [c.kind for c in rest] == ["rest", "ten_left", "count", "count", "count"]
    assert sum(c.seconds for c in rest) == 30
    assert rest[0].params["next"] == "Jacks"


def test_short_rest_counts_down_without_ten_seconds_left() -> None:
    rest = [c.kind for c in timeline(Step("squat", rest_seconds=10), Step("jacks")).blocks[0].rest]
    assert rest == ["rest", "count", "count", "count"]


def test_no_rest_goes_straight_to_next_up() -> None:
    rest = timeline(Step("squat", rest_seconds=0), Step("jacks")).blocks[0].rest
    assert [c.kind for c in rest] == ["next_up"]
    assert rest[0].params["exercise"] == "Jacks"


def test_rest_between_sets_is_marked_and_names_no_next_exercise() -> None:
    t = timeline(Step("squat", sets=2, rest_seconds=20))
    rest = next(c for c in t.cues() if c.kind == "rest")
    assert rest.params["between_sets"] is True and rest.params["next"] is None


def test_last_block_ends_with_the_outro_instead_of_a_rest() -> None:
    t = timeline(Step("squat", rest_seconds=60))
    assert [c.kind for c in t.blocks[-1].rest] == ["outro"]


def test_the_start_of_an_exercise_carries_what_the_wording_needs() -> None:
    cues = {c.kind: c for c in timeline(Step("clam", sets=2), Step("squat")).blocks[0].cues}
    assert cues["exercise"].params["number"] == 1 and cues["exercise"].params["of"] == 2
    assert cues["dose"].params["per_side"] is True and cues["dose"].params["sets"] == 2
    assert cues["dose"].params["reps"] == 10
    assert cues["setup"].params["setup"] == "Lie on your side."


def test_the_setup_line_does_not_depend_on_band_or_sets() -> None:
    def setup_params(**kw):
        return next(c for c in timeline(Step("clam", sets=2), **kw).cues() if c.kind == "setup").params

    assert setup_params() == setup_params(extra_sets=2)


def test_a_long_setup_line_gets_as_long_a_slot_as_its_words_need() -> None:
    long_words = " ".join(["word"] * 60)
    t = timeline(Step("squat"), wording=lambda cue, locale: long_words if cue.kind == "setup" else "x")
    setup = next(c for c in t.cues() if c.kind == "setup")
    assert setup.seconds == speech_seconds(long_words) > 20


def test_a_counted_cue_keeps_its_beat_however_long_its_words() -> None:
    t = timeline(Step("squat"), wording=lambda cue, locale: " ".join(["word"] * 40))
    assert [c.seconds for c in t.cues() if c.kind == "last_one"] == [EXERCISES["squat"].tempo_seconds]


def test_every_cue_gets_its_text_from_the_wording_function() -> None:
    t = timeline(Step("clam"), Step("calf", rest_seconds=20), Step("squat"))
    assert all(c.text == c.kind.replace("_", " ") for c in t.cues())


def test_extra_sets_add_sets_up_to_ten() -> None:
    assert timeline(Step("squat", sets=2), extra_sets=1).blocks[0].dose.sets == 3
    assert timeline(Step("squat", sets=9), extra_sets=3).blocks[0].dose.sets == 10


def test_timeline_seconds_is_the_sum_of_its_cues() -> None:
    t = timeline(Step("clam", sets=2), Step("calf"), Step("squat"))
    assert t.seconds == pytest.approx(sum(c.seconds for c in t.cues()))


def test_timeline_is_deterministic() -> None:
    steps = (Step("clam", sets=2), Step("calf"))
    assert timeline(*steps) == timeline(*steps)


def test_speech_seconds_grows_with_the_number_of_words() -> None:
    assert speech_seconds("Three.") < speech_seconds("Rest for twenty seconds. Next up: calf stretch.")


def test_a_rest_too_short_for_a_countdown_has_none():
    from skill.timeline import _rest_cues

    cues = _rest_cues(4, None)
    assert [c.kind for c in cues] == ["rest"]
    assert cues[0].seconds == 4.0


def test_worked_shares_the_timelines_seconds_among_the_body_parts_its_exercises_target() -> None:
    targeted = {**EXERCISES, "squat": Exercise("squat", "Band squat", "above your knees", "Feet wide.", ("Knees out.",),
                                               reps=12, targets=("quads", "glutes")),
                "calf": Exercise("calf", "Calf stretch", "around one foot", "Sit tall.", ("No bouncing.",),
                                 hold_seconds=30, per_side=True, targets=("calves",))}
    t = build_timeline(Routine("test", "Test", "Test.", steps=(Step("squat"), Step("calf"))), targeted,
                       band=BandLevel.LIGHT, wording=kind_words)
    squat, calf = (b.seconds / t.seconds for b in t.blocks)
    assert worked(t) == pytest.approx({"quads": squat, "glutes": squat, "calves": calf})
    assert worked(t, lambda e: e.reps is not None) == pytest.approx({"quads": squat, "glutes": squat})


def test_tones_mark_the_start_of_work_each_count_and_a_rest() -> None:
    cues = with_tones(timeline(Step("squat", sets=2, rest_seconds=20), Step("calf")).cues())
    marked = [(c.params["tone"], cues[i + 1].kind) for i, c in enumerate(cues) if c.kind == TONE]
    assert {kind for _, kind in marked} == {"go", "count", "rest", "hold"}
    assert all(tone == {"hold": "go"}.get(kind, kind) for tone, kind in marked)
    assert all(cues[i + 1].kind != TONE for i, c in enumerate(cues[:-1]) if c.kind == TONE)  # one tone per cue


def starts(cues: list[Cue]) -> list[float]:
    return [0.0, *accumulate(c.seconds for c in cues)][:-1]


def test_a_tone_sounds_when_its_cue_was_planned_and_every_other_cue_keeps_its_start() -> None:
    plain = timeline(Step("squat", sets=2, rest_seconds=20), Step("calf")).cues()
    toned = with_tones(plain)
    planned = iter(zip(plain, starts(plain), strict=True))
    for i, (cue, start) in enumerate(zip(toned, starts(toned), strict=True)):
        if cue.kind == TONE:
            continue
        original, planned_start = next(planned)
        marked = i > 0 and toned[i - 1].kind == TONE
        assert (starts(toned)[i - 1] if marked else start) == pytest.approx(planned_start)
        assert cue.seconds + (toned[i - 1].seconds if marked else 0.0) == pytest.approx(original.seconds)
    assert sum(c.seconds for c in toned) == pytest.approx(sum(c.seconds for c in plain))


def test_a_cue_too_short_to_share_its_slot_gets_no_tone() -> None:
    assert with_tones([Cue("rest", 0.8), Cue("count", TONE_SLOTS["count"])]) == [Cue("rest", 0.8),
                                                                                   Cue("count", TONE_SLOTS["count"])]


def test_a_timeline_itself_has_no_tones_so_spoken_coaching_never_sees_one() -> None:
    assert TONE not in kinds(timeline(Step("squat"), Step("calf")))
