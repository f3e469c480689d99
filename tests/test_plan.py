"""A runner's week through real envelopes and the real SQLite store: planning it, today's workout, and the
streak that forgives a planned rest day; and the week's coaching rules, checked on every set of run days."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.alexa_checks import answered, speech_of
from support.workouts import store_of

from skill import plan, prompts, testing
from skill.catalog import Catalog
from skill.plan import WEEK, WeekPlan, days_id, days_in, days_of_id, plan_week
from skill.progression import SessionRecord, streak_days
from skill.routines import BandLevel, Variant

RUNNER = "amzn1.ask.account.PLANNER"
Post = Any
EVERY_SET_OF_RUN_DAYS = [frozenset(c) for n in range(8) for c in itertools.combinations(range(7), n)]


def ask(post: Post, name: str, slots: dict[str, testing.SlotSpec] | None = None,
        before: dict[str, Any] | None = None) -> dict[str, Any]:
    """`name` said by RUNNER: in the session `before` left open, else in a new one."""
    attributes = before["sessionAttributes"] if before else None
    return answered(post, testing.intent_request(name, slots, user_id=RUNNER, new=before is None,
                                                 session_attributes=attributes))


def plan_days(post: Post, days: frozenset[int]) -> dict[str, Any]:
    """The runner answers "which days do you run?" with `days`, resolved by Alexa as the model publishes them."""
    spoken = plan.run_day_values()[days_id(days)][0]
    return ask(post, "RunningDaysIntent", {"days": (spoken, days_id(days))})


def today() -> int:
    return datetime.now(UTC).weekday()


def run_days_where(catalog: Catalog, wanted: Callable[[WeekPlan], bool]) -> frozenset[int]:
    """The first set of run days whose week has what the test needs (found by the real planner)."""
    return next(days for days in EVERY_SET_OF_RUN_DAYS if days and wanted(plan_week(days, catalog.routines)))


# --- "plan my week" and the answer --------------------------------------------------------------------

def test_plan_my_week_asks_which_days_the_runner_runs(post: Post) -> None:
    data = ask(post, "PlanWeekIntent")
    assert speech_of(data) == "Which days do you run? For example: Monday, Wednesday and Saturday."
    assert data["response"]["shouldEndSession"] is False and data["response"]["reprompt"]


def test_the_answer_is_kept_as_the_running_days(post: Post, app: Any) -> None:
    plan_days(post, frozenset({0, 2, 5}))
    assert store_of(app).load(RUNNER).running_days == (0, 2, 5)


def test_the_answer_is_answered_with_the_week(post: Post) -> None:
    said = speech_of(plan_days(post, frozenset({0, 2, 5})))
    assert said.startswith("Runs on Monday, Wednesday and Saturday: warm-up before, stretch after. "
                           "Glute strength on Tuesday and Friday. Sunday is a rest day. "
                           "On workdays, the desk routine is there if you sit a lot.")
    assert said.endswith(prompts.plan_next_steps())


def test_days_alexa_did_not_resolve_are_read_from_the_words(post: Post, app: Any) -> None:
    ask(post, "RunningDaysIntent", {"days": ("saturdays and tuesdays", None)})
    assert store_of(app).load(RUNNER).running_days == (1, 5)


def test_an_answer_with_no_day_in_it_asks_again_and_keeps_nothing(post: Post, app: Any) -> None:
    data = ask(post, "RunningDaysIntent", {"days": ("whenever i can", None)})
    assert speech_of(data) == prompts.running_days_not_heard("whenever i can")
    assert store_of(app).load(RUNNER).running_days == ()


def test_new_days_say_the_reminders_still_follow_the_old_plan(post: Post, app: Any) -> None:
    plan_days(post, frozenset({0, 2, 5}))
    store_of(app).update(RUNNER, lambda s: dataclasses.replace(s, reminders=("alert-1",)))
    assert prompts.reminders_follow_old_plan() in speech_of(plan_days(post, frozenset({1, 3})))


# --- "what should I do today" ---------------------------------------------------------------------

def test_today_without_a_plan_offers_to_plan_the_week(post: Post) -> None:
    data = ask(post, "TodayIntent")
    assert speech_of(data) == prompts.no_plan_yet() and "Which days do you run?" in speech_of(data)
    assert data["response"]["shouldEndSession"] is False


def test_today_on_a_run_day_names_the_warm_up_and_stretch_and_offers_the_warm_up(post: Post) -> None:
    plan_days(post, frozenset({today()}))
    data = ask(post, "TodayIntent")
    assert speech_of(data) == "Today is a run day: warm-up before, stretch after. Start the pre-run warm-up?"
    assert data["sessionAttributes"] == {"offer": "today", "today_routine": "warmup"}


def test_yes_starts_the_offered_routine_as_starting_it_by_name_does(post: Post, catalog: Catalog) -> None:
    plan_days(post, frozenset({today()}))
    data = ask(post, "AMAZON.YesIntent", before=ask(post, "TodayIntent"))
    assert data["sessionAttributes"]["position"]["routine"] == "warmup"
    assert data["sessionAttributes"]["position"]["block"] == 0
    first = catalog.timeline("warmup").blocks[0].exercise
    assert first.name.lower() in speech_of(data).lower()


def test_no_leaves_the_offer_and_asks_what_next(post: Post) -> None:
    plan_days(post, frozenset({today()}))
    data = ask(post, "AMAZON.NoIntent", before=ask(post, "TodayIntent"))
    assert speech_of(data) == prompts.not_now() and "position" not in data["sessionAttributes"]


def test_today_on_a_strength_day_offers_the_glute_workout(post: Post, catalog: Catalog) -> None:
    runs = run_days_where(catalog, lambda week: bool(week.day(today()).strength) and not week.day(today()).run)
    plan_days(post, runs)
    data = ask(post, "TodayIntent")
    assert speech_of(data) == "Today is a glute strength day. Start the glute strength workout?"
    assert data["sessionAttributes"]["today_routine"] == "glutes"


def test_today_on_the_rest_day_offers_nothing(post: Post, catalog: Catalog) -> None:
    plan_days(post, run_days_where(catalog, lambda week: week.day(today()).rest))
    data = ask(post, "TodayIntent")
    assert speech_of(data).startswith("Today is a rest day")
    assert "Start the" not in speech_of(data) and "offer" not in data["sessionAttributes"]


# --- the streak forgives a planned rest day -------------------------------------------------------------

def finished_days_ago(app: Any, *days_ago: int) -> None:
    store, now = store_of(app), datetime.now(UTC)
    for days in days_ago:
        store.record_workout(RUNNER, SessionRecord("glutes", Variant.STANDARD, BandLevel.LIGHT, 0,
                                                   now - timedelta(days=days), 600, True))


def test_a_planned_rest_day_does_not_break_the_streak(post: Post, app: Any, catalog: Catalog) -> None:
    yesterday = (today() - 1) % 7
    plan_days(post, run_days_where(catalog, lambda week: yesterday in week.days_off))
    finished_days_ago(app, 2, 3)  # nothing yesterday, which the plan keeps free
    assert "with a 2 day streak" in speech_of(ask(post, "ProgressIntent"))


def test_a_missed_run_day_still_breaks_the_streak(post: Post, app: Any) -> None:
    plan_days(post, frozenset({(today() - 1) % 7}))  # yesterday was a run day, with no workout
    finished_days_ago(app, 2, 3)
    assert "with no streak yet" in speech_of(ask(post, "ProgressIntent"))


def test_streak_days_steps_over_rest_weekdays_without_counting_them() -> None:
    now = datetime(2026, 6, 12, 18, tzinfo=UTC)  # a Friday
    done = [SessionRecord("glutes", Variant.STANDARD, BandLevel.LIGHT, 0, now - timedelta(days=d), 600, True)
            for d in (0, 2, 3)]  # Friday, Wednesday, Tuesday: Thursday off
    assert streak_days(done, today=now.date()) == 1
    assert streak_days(done, today=now.date(), rest_weekdays={3}) == 3
    assert streak_days([], today=now.date(), rest_weekdays=WEEK) == 0


# --- the week's rules, on every set of run days ----------------------------------------------------------

@pytest.mark.parametrize("runs", EVERY_SET_OF_RUN_DAYS, ids=lambda days: days_id(days) or "none")
def test_every_week_follows_the_coaching_rules(runs: frozenset[int], catalog: Catalog) -> None:
    week = plan_week(runs, catalog.routines)
    strength = sorted(d.weekday for d in week.strength_days)
    assert len(strength) == 2 and (strength[1] - strength[0]) % 7 not in (1, 6)  # never back to back
    assert all(d.before_run == "warmup" and d.after_run == "recovery" for d in week.run_days)
    assert [d.weekday for d in week.run_days] == sorted(runs)
    assert len(week.rest_days) == (1 if len(runs) < 7 else 0)  # a full rest day whenever the week allows
    assert not any(d.run or d.strength or d.desk for d in week.rest_days)
    free = WEEK - runs
    if len(free) >= 3:  # room for two strength days and a rest day: strength stays off the run days
        assert not set(strength) & runs
    assert {d.weekday for d in week.desk_days} == set(range(5)) - {d.weekday for d in week.rest_days}


def test_a_routine_that_is_not_installed_is_left_out_of_the_week(catalog: Catalog) -> None:
    routines = {rid: r for rid, r in catalog.routines.items() if rid not in ("glutes", "warmup")}
    week = plan_week({0, 2, 5}, routines)
    assert week.strength_days == () and week.run_days[0].routines == ("recovery",)
    assert prompts.week_plan(week).startswith("Runs on Monday, Wednesday and Saturday: stretch after. "
                                              "Sunday is a rest day.")


def test_a_week_of_runs_has_no_rest_day_and_says_so(catalog: Catalog) -> None:
    said = prompts.week_plan(plan_week(WEEK, catalog.routines))
    assert said.startswith("Runs every day: warm-up before, stretch after. Glute strength on Monday and Thursday; "
                           "keep the run easy on Monday and Thursday. There's no rest day")


@pytest.mark.parametrize(("said", "days"), [
    ("monday wednesday and saturday", {0, 2, 5}), ("tuesdays and thursdays", {1, 3}), ("every weekday", set(range(5))),
    ("i run on weekends", {5, 6}), ("every day", set(WEEK)), ("friday to monday", {4, 5, 6, 0}),
    ("sunday tuesday and thursday", {6, 1, 3}), ("when it isn't raining", set()),
])
def test_days_are_read_from_what_runners_say(said: str, days: set[int]) -> None:
    assert days_in(said) == days


def test_every_published_way_of_saying_days_reads_back_as_its_days() -> None:
    for value_id, spoken in plan.run_day_values().items():
        assert days_id(days_of_id(value_id)) == value_id
        for words in spoken:
            assert days_in(words) == days_of_id(value_id), words
