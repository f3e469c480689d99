"""build_skill(): the one ordered list of request handlers, specific first and the catch-alls last."""

from __future__ import annotations

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder

from .audioplayer import PlaybackEventHandler
from .base import Deps
from .canfulfill import CanFulfillIntentRequestHandler
from .errors import CatchAllExceptionHandler
from .events import (
    ExceptionEncounteredHandler,
    SessionEndedRequestHandler,
    SkillEventHandler,
    UnknownRequestHandler,
)
from .fallback import FallbackIntentHandler, HelpIntentHandler, StopHandler, UnknownIntentHandler
from .handsfree import HandsFreeIntentHandler, LoopShuffleIntentHandler, PlayRoutineIntentHandler
from .launch import LaunchRequestHandler
from .navigation import (
    NextIntentHandler,
    PauseIntentHandler,
    PreviousIntentHandler,
    RepeatIntentHandler,
    ResumeIntentHandler,
    StartOverIntentHandler,
)
from .progress import ProgressIntentHandler, ResumeAnswerHandler, SetBandIntentHandler, YesNoHandler
from .routine import DescribeExerciseIntentHandler, ListRoutinesIntentHandler, StartRoutineIntentHandler

HANDLERS = (
    LaunchRequestHandler,
    StartRoutineIntentHandler,
    PlayRoutineIntentHandler,
    ListRoutinesIntentHandler,
    DescribeExerciseIntentHandler,
    ResumeAnswerHandler,  # before YesNoHandler: yes/no that answer "resume?"
    ProgressIntentHandler,
    SetBandIntentHandler,
    HandsFreeIntentHandler,  # before the session navigation: intents while our audio plays
    LoopShuffleIntentHandler,
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
    PlaybackEventHandler,
    CanFulfillIntentRequestHandler,
    SessionEndedRequestHandler,
    ExceptionEncounteredHandler,
    SkillEventHandler,
    UnknownIntentHandler,  # any other IntentRequest
    UnknownRequestHandler,  # any other request type; must stay last
)


def build_skill(deps: Deps) -> CustomSkill:
    """The ask-sdk skill: the same object answers POST /alexa and the Lambda entry point."""
    builder = SkillBuilder()
    for handler in HANDLERS:
        builder.add_request_handler(handler(deps))
    builder.add_exception_handler(CatchAllExceptionHandler())
    return builder.create()


__all__ = ["HANDLERS", "Deps", "build_skill"]
