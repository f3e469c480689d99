"""The runner's week: "plan my week", the answer with their running days, and "what should I do today"."""

from __future__ import annotations

from datetime import UTC, datetime

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill import needs, plan, prompts
from skill.handlers import memory
from skill.handlers.base import Handler, intent_name, say, session_attributes, slot
from skill.handlers.routine import StartRoutineIntentHandler
from skill.routines import Routine

OFFER_KEY = "offer"  # session attribute: the question a yes or no answers (progress.py asks "resume")
TODAY_OFFER = "today"  # ... here: "Start the <first routine of today>?"
TODAY_ROUTINE_KEY = "today_routine"  # session attribute: that routine's id


def today_weekday() -> int:
    """Today's weekday, 0 = Monday, by the UTC calendar: the skill knows no runner's time zone (docs/plan.md)."""
    return datetime.now(UTC).weekday()


class PlanWeekIntentHandler(Handler):
    """PlanWeekIntent ("plan my week"): the one question a plan needs, which days the runner runs."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "PlanWeekIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return say(handler_input, prompts.which_running_days(), reprompt=prompts.which_running_days())


class RunningDaysIntentHandler(Handler):
    """RunningDaysIntent ("monday wednesday and saturday"): keep the days and speak the week built on them."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "RunningDaysIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        heard, resolved = slot(handler_input, "days")
        days = plan.days_of_id(resolved) or plan.days_in(heard)
        if not days:
            return say(handler_input, prompts.running_days_not_heard(heard), reprompt=prompts.which_running_days())
        before = memory.load(handler_input, self.deps)
        moved = before is not None and bool(before.reminders) and set(before.running_days) != days
        kept = memory.set_running_days(handler_input, self.deps, days)
        said = [prompts.week_plan(plan.plan_week(days, self.catalog.routines))]
        if not kept:
            said.append(prompts.plan_not_kept())
        elif moved:  # the reminders were made for the old days
            said.append(prompts.reminders_follow_old_plan())
        said.append(prompts.plan_next_steps())
        return say(handler_input, " ".join(said), reprompt=prompts.anything_else())


class TodayIntentHandler(Handler):
    """TodayIntent ("what should I do today"): today in the runner's week, and an offer to start it."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "TodayIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        week = memory.week_plan(handler_input, self.deps)
        if week is None:
            return say(handler_input, prompts.no_plan_yet(), reprompt=prompts.which_running_days())
        day = week.day(today_weekday())
        first = self.catalog.routines.get(day.routines[0]) if day.routines else None
        text = prompts.today_plan(day, first)
        if first is None:
            return say(handler_input, f"{text} {prompts.anything_else()}", reprompt=prompts.anything_else())
        return say(handler_input, text, reprompt=prompts.today_reprompt(first),
                   attributes={OFFER_KEY: TODAY_OFFER, TODAY_ROUTINE_KEY: first.id})


class TodayAnswerHandler(Handler):
    """Yes or no to "Start the <routine>?": a yes starts it exactly as StartRoutineIntent would."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (intent_name(handler_input) in ("AMAZON.YesIntent", "AMAZON.NoIntent")
                and self.offered(handler_input) is not None)

    def handle(self, handler_input: HandlerInput) -> Response:
        routine = self.offered(handler_input)
        assert routine is not None  # can_handle checked it
        if intent_name(handler_input) == "AMAZON.YesIntent":
            return StartRoutineIntentHandler(self.deps).start(handler_input, routine, needs.Need())
        return say(handler_input, prompts.not_now(), reprompt=prompts.anything_else())

    def offered(self, handler_input: HandlerInput) -> Routine | None:
        """The routine the session offered to start today, when it still is one of the catalog's."""
        attrs = session_attributes(handler_input)
        routine_id = attrs.get(TODAY_ROUTINE_KEY)
        if attrs.get(OFFER_KEY) != TODAY_OFFER or not isinstance(routine_id, str):
            return None
        return self.catalog.routines.get(routine_id)
