"""build_skill(): the one ordered list of request handlers, specific first and the catch-alls last."""

from __future__ import annotations

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill.handlers.audioplayer import PlaybackEventHandler
from skill.handlers.base import Deps
from skill.handlers.canfulfill import CanFulfillIntentRequestHandler
from skill.handlers.errors import CatchAllExceptionHandler
from skill.handlers.events import (
    ExceptionEncounteredHandler,
    SessionEndedRequestHandler,
    SkillEventHandler,
    UnknownRequestHandler,
)
from skill.handlers.fallback import FallbackIntentHandler, HelpIntentHandler, StopHandler, UnknownIntentHandler
from skill.handlers.feedback import (
    BandCheckAnswerHandler,
    FeedbackIntentHandler,
    OwnedBandsIntentHandler,
    SameAsLastTimeIntentHandler,
)
from skill.handlers.handsfree import HandsFreeIntentHandler, LoopShuffleIntentHandler, PlayRoutineIntentHandler
from skill.handlers.launch import LaunchRequestHandler
from skill.handlers.navigation import (
    NextIntentHandler,
    PauseIntentHandler,
    PreviousIntentHandler,
    RepeatIntentHandler,
    ResumeIntentHandler,
    StartOverIntentHandler,
)
from skill.handlers.plan import PlanWeekIntentHandler, RunningDaysIntentHandler, TodayAnswerHandler, TodayIntentHandler
from skill.handlers.progress import ProgressIntentHandler, ResumeAnswerHandler, SetBandIntentHandler, YesNoHandler
from skill.handlers.reminders import (
    AlexaApiClient,
    CancelRemindersIntentHandler,
    ListRemindersIntentHandler,
    SetRemindersIntentHandler,
)
from skill.handlers.routine import DescribeExerciseIntentHandler, ListRoutinesIntentHandler, StartRoutineIntentHandler
from skill.handlers.safety import (
    BandLevelsIntentHandler,
    EasierIntentHandler,
    HarderIntentHandler,
    PainIntentHandler,
    SafetyAnswerHandler,
)
from skill.handlers.unsaved import UnsavedNotice
from skill.handlers.workout import (
    BandPlacementIntentHandler,
    DoseIntentHandler,
    FinishWorkoutIntentHandler,
    TakeABreakIntentHandler,
    TimeLeftIntentHandler,
    WhatsNextIntentHandler,
)

HANDLERS = (
    PlaybackEventHandler,  # first: device events are the most frequent requests, and match no other handler
    LaunchRequestHandler,
    StartRoutineIntentHandler,
    PlayRoutineIntentHandler,
    ListRoutinesIntentHandler,
    DescribeExerciseIntentHandler,
    ResumeAnswerHandler,  # before YesNoHandler: yes, no or "something else" that answer "resume?"
    SafetyAnswerHandler,  # before YesNoHandler too: yes or no to "an easier one, or skip?"
    BandCheckAnswerHandler,  # and to "do you have a medium band?"
    ProgressIntentHandler,
    SetBandIntentHandler,
    HandsFreeIntentHandler,  # before the session navigation: intents while our audio plays
    LoopShuffleIntentHandler,
    TimeLeftIntentHandler,  # the in-workout requests: each answers step by step, hands-free or outside a workout
    WhatsNextIntentHandler,
    TakeABreakIntentHandler,
    FinishWorkoutIntentHandler,
    BandPlacementIntentHandler,
    DoseIntentHandler,
    PainIntentHandler,  # the safety layer: each answers step by step, hands-free or outside a workout
    EasierIntentHandler,
    HarderIntentHandler,
    BandLevelsIntentHandler,
    FeedbackIntentHandler,  # progression: how it felt, "same as last time", the bands a runner has
    SameAsLastTimeIntentHandler,
    OwnedBandsIntentHandler,
    PlanWeekIntentHandler,  # a runner's week: the plan, today, reminders
    RunningDaysIntentHandler,
    TodayIntentHandler,
    TodayAnswerHandler,  # before YesNoHandler: yes or no to "start today's warm-up?"
    SetRemindersIntentHandler,
    ListRemindersIntentHandler,
    CancelRemindersIntentHandler,
    NextIntentHandler,
    PreviousIntentHandler,
    RepeatIntentHandler,
    StartOverIntentHandler,
    PauseIntentHandler,
    ResumeIntentHandler,
    HelpIntentHandler,
    StopHandler,
    FallbackIntentHandler,
    YesNoHandler,
    CanFulfillIntentRequestHandler,
    SessionEndedRequestHandler,
    ExceptionEncounteredHandler,
    SkillEventHandler,
    UnknownIntentHandler,  # any other IntentRequest
    UnknownRequestHandler,  # any other request type; must stay last
)


def build_skill(deps: Deps) -> CustomSkill:
    """The ask-sdk skill: the same object answers POST /alexa and the Lambda entry point."""
    builder = CustomSkillBuilder(api_client=AlexaApiClient())  # an API client: service clients (reminders) need one
    for handler in HANDLERS:
        builder.add_request_handler(handler(deps))
    builder.add_exception_handler(CatchAllExceptionHandler())
    builder.add_global_response_interceptor(UnsavedNotice())  # a runner whose progress was not kept hears so
    return builder.create()


__all__ = ["HANDLERS", "Deps", "build_skill"]
