"""Every handler, driven by real request envelopes through POST /alexa."""

from __future__ import annotations

import logging

import pytest
from support.alexa_checks import answered, check_response, speech_of

from skill import hookimpl, prompts, testing
from skill.routines import BandLevel


def position(data):
    return (data.get("sessionAttributes") or {}).get("position")


def test_launch_welcomes_and_names_the_routines(post, envelope):
    data = answered(post, envelope("launch"))
    text = speech_of(data)
    assert "Welcome to Band Coach" in text
    for name in ("warm-up", "desk", "glute", "stretch", "treadmill"):
        assert name in text.lower()
    assert data["response"]["reprompt"]


def test_start_routine_coaches_the_first_exercise_and_asks_for_next(post, envelope):
    data = answered(post, envelope("start_routine"))
    text = speech_of(data)
    assert "Exercise 1 of" in text
    assert "Say next" in text
    pos = position(data)
    assert pos.pop("started") > 0
    assert pos == {"routine": "recovery", "band": "light", "variant": "standard", "block": 0,
                   "extra_sets": 0, "minutes": 0}
    assert data["response"]["shouldEndSession"] is False


def test_start_routine_resolves_aliases_without_entity_resolution(post):
    for alias, routine in [("cool down", "recovery"), ("pre-run", "warmup"), ("at my desk", "desk"),
                           ("booty", "glutes")]:
        data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": alias}))
        assert position(data)["routine"] == routine, alias


def test_start_routine_takes_a_band_colour(post, catalog):
    data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": "glutes", "band": "black"}))
    assert position(data)["band"] == "heavy"
    # the first exercise is coached on the heavy level, capped at its own band (band squat: medium)
    first = catalog.timeline("glutes").blocks[0].exercise
    level = first.band_for(BandLevel.HEAVY).value
    assert level != catalog.routines["glutes"].band.value  # else the colour would not be heard
    assert f"{first.name.lower()}. {level.capitalize()} {first.band_kind.spoken} {first.placement}." in speech_of(data)


def test_unknown_band_falls_back_to_the_routine_band_and_says_so(post, catalog):
    data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": "glutes", "band": "plaid"}))
    assert "I don't know a plaid band" in speech_of(data)
    assert position(data)["band"] == catalog.routines["glutes"].band.value


def test_a_five_minute_stretch_lasts_four_to_six_minutes_with_every_hold_kept(post, catalog):
    data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": "stretch", "minutes": "5"}))
    assert (position(data)["routine"], position(data)["minutes"]) == ("recovery", 5)
    fitted = catalog.timeline("recovery", minutes=5)
    assert 4 * 60 <= fitted.seconds <= 6 * 60
    standard = {b.exercise.id: b for b in catalog.timeline("recovery").blocks}
    assert all(block.dose == standard[block.exercise.id].dose for block in fitted.blocks)


def test_a_length_word_picks_the_shorter_variant(post):
    data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": ("quick stretch", "recovery")}))
    assert position(data)["variant"] == "short"
    assert "short version" in speech_of(data)


def test_unknown_routine_lists_what_there_is(post):
    data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": ("underwater yoga", None)}))
    text = speech_of(data)
    assert "I don't have a routine called underwater yoga" in text
    assert "Post-run stretch" in text
    assert data["response"]["shouldEndSession"] is False


def test_start_without_a_routine_asks_which(post, envelope):
    data = answered(post, envelope("start_routine_no_slots"))
    assert "Which routine" in speech_of(data)


def test_list_routines_names_each_with_its_length(post, envelope):
    text = speech_of(answered(post, envelope("list_routines")))
    assert text.count("minutes") >= 4


def test_describe_exercise_explains_setup_and_dose(post, envelope):
    text = speech_of(answered(post, envelope("describe_exercise")))
    assert "walk" in text.lower()
    assert "band" in text.lower()
    assert "Aim for" in text


def test_describe_unknown_exercise_suggests_others(post):
    data = answered(post, testing.intent_request("DescribeExerciseIntent", {"exercise": "levitation"}))
    assert "I don't know an exercise called levitation" in speech_of(data)


# From the second exercise (block 1) of the envelopes' session: where each navigation intent goes.
@pytest.mark.parametrize(("envelope_name", "block", "heard"), [
    ("next", 2, "Exercise 3 of"),        # the following exercise
    ("previous", 0, "Exercise 1 of"),    # back one
    ("repeat", 1, "Exercise 2 of"),      # the same exercise again
    ("start_over", 0, "Exercise 1 of"),  # back to the intro
])
def test_navigation_moves_to_the_right_exercise(post, envelope, envelope_name, block, heard):
    data = answered(post, envelope(envelope_name))
    assert position(data)["block"] == block
    assert heard in speech_of(data)


def test_previous_on_the_first_exercise_repeats_it(post):
    env = testing.intent_request("AMAZON.PreviousIntent", session_attributes={"position": {
        "routine": "desk", "band": "light", "variant": "standard", "block": 0}})
    data = answered(post, env)
    assert "first exercise" in speech_of(data)
    assert position(data)["block"] == 0


def test_pause_keeps_the_position_and_waits_for_resume(post, envelope):
    data = answered(post, envelope("pause"))
    assert position(data)["block"] == 1
    assert "Say resume" in speech_of(data)


def test_resume_carries_on_where_it_paused(post, envelope):
    data = answered(post, envelope("resume"))
    assert position(data)["block"] == 1
    assert "Exercise 2 of" in speech_of(data)


def test_the_last_exercise_ends_with_the_outro(post, catalog):
    last = len(catalog.timeline("recovery").blocks) - 2
    env = testing.intent_request("AMAZON.NextIntent", session_attributes={"position": {
        "routine": "recovery", "band": "light", "variant": "standard", "block": last}})
    data = answered(post, env)
    assert data["response"]["shouldEndSession"] is True
    assert not data.get("sessionAttributes")


def test_navigation_outside_a_routine_says_how_to_start(post, envelope):
    data = answered(post, envelope("next_no_routine"))
    assert "no routine going" in speech_of(data)


def test_tampered_position_is_ignored(post):
    env = testing.intent_request("AMAZON.NextIntent", session_attributes={"position": {
        "routine": "recovery", "band": "purple", "variant": "standard", "block": "x"}})
    assert "no routine going" in speech_of(answered(post, env))


def test_out_of_range_block_is_clamped(post, catalog):
    env = testing.intent_request("AMAZON.RepeatIntent", session_attributes={"position": {
        "routine": "desk", "band": "light", "variant": "standard", "block": 999}})
    data = answered(post, env)
    assert data["response"]["shouldEndSession"] is True  # the last block, with the outro


def test_help_outside_a_routine_gives_examples(post, envelope):
    assert "You can say" in speech_of(answered(post, envelope("help")))


def test_help_in_a_routine_says_where_you_are(post, envelope):
    data = answered(post, envelope("help_in_routine"))
    assert "exercise 2 of" in speech_of(data)
    assert position(data)["block"] == 1


@pytest.mark.parametrize("name", ["stop", "cancel", "navigate_home"])
def test_stop_cancel_and_home_end_the_session(post, envelope, name):
    data = answered(post, envelope(name))
    assert data["response"]["shouldEndSession"] is True


def test_stop_in_a_routine_says_it_can_pick_up_later(post, envelope):
    data = answered(post, envelope("stop_in_routine"))
    assert "pick up where you left off" in speech_of(data)
    assert data["response"]["shouldEndSession"] is True


def test_fallback_lists_what_it_can_do(post, envelope):
    data = answered(post, envelope("fallback"))
    assert "I can coach you through" in speech_of(data)
    assert data["response"]["shouldEndSession"] is False


def test_an_intent_of_another_skill_gets_a_helpful_answer(post, envelope):
    data = answered(post, envelope("foreign_intent"))
    assert "I can coach you through" in speech_of(data)


@pytest.mark.parametrize("name", ["session_ended", "session_ended_error", "exception_encountered",
                                  "skill_enabled", "display_element_selected", "playback_started",
                                  "playback_controller_next", "unknown_type"])
def test_requests_that_need_no_words_get_an_empty_response(post, envelope, name):
    data = answered(post, envelope(name))
    assert "outputSpeech" not in data["response"]
    assert "reprompt" not in data["response"]


def test_session_ended_with_an_error_is_logged(post, envelope, caplog):
    with caplog.at_level(logging.WARNING):
        answered(post, envelope("session_ended_error"))
    assert "SSML was invalid" in caplog.text


def test_can_fulfill_says_yes_for_a_known_routine(post, envelope):
    data = answered(post, envelope("can_fulfill"))
    verdict = data["response"]["canFulfillIntent"]
    assert verdict["canFulfill"] == "YES"
    assert verdict["slots"]["routine"] == {"canUnderstand": "YES", "canFulfill": "YES"}


def test_can_fulfill_says_no_for_another_skills_intent(post, envelope):
    assert answered(post, envelope("can_fulfill_foreign"))["response"]["canFulfillIntent"]["canFulfill"] == "NO"


def test_can_fulfill_says_no_for_an_unknown_routine(post):
    env = testing.envelope({"type": "CanFulfillIntentRequest", "intent": {
        "name": "StartRoutineIntent", "slots": {"routine": {"name": "routine", "value": "knitting"}}}})
    assert answered(post, env)["response"]["canFulfillIntent"]["canFulfill"] == "NO"


@pytest.mark.parametrize(("focus", "verdict"), [("hips", "YES"), ("after my run", "YES"), ("elbows", "NO")])
def test_can_fulfill_judges_a_focus_as_asking_by_need_reads_it(post, focus, verdict):
    env = testing.envelope({"type": "CanFulfillIntentRequest", "intent": {
        "name": "StartRoutineIntent", "slots": {"focus": {"name": "focus", "value": focus}}}})
    assert answered(post, env)["response"]["canFulfillIntent"]["canFulfill"] == verdict


def test_can_fulfill_says_no_to_a_workout_request_with_no_workout_going(post):
    env = testing.envelope({"type": "CanFulfillIntentRequest", "intent": {"name": "TimeLeftIntent", "slots": {}}})
    assert answered(post, env)["response"]["canFulfillIntent"]["canFulfill"] == "NO"


def test_a_cue_text_plugin_that_raises_is_logged_and_the_builtin_words_are_spoken(post, pm, settings, caplog):
    from skill.web.app import create_app

    class Broken:
        __name__ = "broken-words"

        @hookimpl(tryfirst=True)
        def bandcoach_cue_text(self, cue, locale):
            raise RuntimeError("plugin bug")

    pm.register_plugin(Broken(), "broken-words")
    client = create_app(settings, pm=pm).test_client()
    with caplog.at_level(logging.ERROR):
        reply = client.post("/alexa", json=testing.intent_request("StartRoutineIntent", {"routine": "desk"}))
    assert reply.status_code == 200
    check_response(reply.get_json())
    assert "plugin bug" in caplog.text
    assert "Exercise 1 of" in speech_of(reply.get_json())
    assert prompts.apology() not in speech_of(reply.get_json())


def test_a_handler_crash_is_apologised_for(app, post, monkeypatch, caplog):
    from skill.handlers import routine

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(routine, "coach_block", explode)
    with caplog.at_level(logging.ERROR):
        data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": "desk"}))
    assert "Sorry, something went wrong" in speech_of(data)
    assert "Traceback" in caplog.text or "boom" in caplog.text


def test_ssml_metacharacters_in_slots_come_out_escaped(post):
    data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": "<audio src='x'/> & \"y\""}))
    ssml_text = data["response"]["outputSpeech"]["ssml"]
    assert "<audio" not in ssml_text
    assert "&lt;audio" in ssml_text


def test_a_ten_kilobyte_slot_value_is_cut_short(post):
    data = answered(post, testing.intent_request("StartRoutineIntent", {"routine": "yoga " * 2000}))
    assert len(data["response"]["outputSpeech"]["ssml"]) < 1000


def test_next_on_the_last_exercise_finishes_it_instead_of_failing(post, catalog):
    last = len(catalog.timeline("recovery").blocks) - 1
    env = testing.intent_request("AMAZON.NextIntent", session_attributes={"position": {
        "routine": "recovery", "band": "light", "variant": "standard", "block": last}})
    data = answered(post, env)
    assert "This is the last exercise." in speech_of(data)
    assert "Sorry" not in speech_of(data)
    assert data["response"]["shouldEndSession"] is True


def test_a_tampered_number_of_extra_sets_is_clamped(post):
    env = testing.intent_request("AMAZON.RepeatIntent", session_attributes={"position": {
        "routine": "desk", "band": "light", "variant": "standard", "block": 0, "extra_sets": 10_000}})
    assert position(answered(post, env))["extra_sets"] == 5


def test_a_progression_plugin_cannot_ask_for_more_extra_sets_than_the_limit(pm):
    from skill import BandLevel, Change, Progression
    from skill.catalog import Catalog

    class Greedy:
        __name__ = "greedy"

        @hookimpl
        def bandcoach_progression(self, routine, history, band):
            return Progression(BandLevel.HEAVY, 7, Change.ADD_SET, "More!")

    pm.register_plugin(Greedy(), "greedy")
    assert Catalog.build(pm).progression("glutes", []).extra_sets == 5


def test_can_fulfill_says_no_for_a_slot_the_intent_does_not_declare(post):
    env = testing.envelope({"type": "CanFulfillIntentRequest", "intent": {
        "name": "ListRoutinesIntent", "slots": {"routine": {"name": "routine", "value": "recovery"}}}})
    assert answered(post, env)["response"]["canFulfillIntent"]["canFulfill"] == "NO"


def test_a_launch_without_a_session_is_welcomed(post):
    data = answered(post, testing.launch_request(session=False))
    assert "Welcome to Band Coach" in speech_of(data)


def test_a_malformed_session_position_is_reported_once_and_treated_as_no_routine(post, caplog):
    """Several handlers ask for the session's position; it is parsed, and complained about, once."""
    bad = testing.intent_request("AMAZON.NextIntent", session_attributes={"position": {"routine": "recovery"}})
    with caplog.at_level(logging.WARNING):
        data = answered(post, bad)
    assert caplog.text.count("ignoring a malformed position") == 1
    assert position(data) is None


@pytest.mark.parametrize(("minutes", "verdict"), [("7.5", "YES"), ("10", "YES"), ("0", "NO"), ("500", "NO"),
                                                  ("soon", "NO")])
def test_can_fulfill_judges_minutes_as_starting_a_routine_reads_them(post, minutes, verdict):
    env = testing.envelope({"type": "CanFulfillIntentRequest", "intent": {"name": "StartRoutineIntent", "slots": {
        "routine": {"name": "routine", "value": "recovery"}, "minutes": {"name": "minutes", "value": minutes}}}})
    assert answered(post, env)["response"]["canFulfillIntent"]["slots"]["minutes"]["canFulfill"] == verdict
