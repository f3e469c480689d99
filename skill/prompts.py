"""Every fixed sentence the skill says, in one place, so wording stays consistent and checkable."""

from __future__ import annotations

from skill.catalog import Catalog
from skill.routines import Exercise, Routine, Variant

MAX_ECHO = 60  # longest piece of what the runner said that we ever repeat back


def minutes(seconds: float) -> str:
    """A duration as a person says it: "about 9 minutes"."""
    m = max(1, round(seconds / 60))
    return f"about {m} minute{'s' if m != 1 else ''}"


def joined(items: list[str], word: str = "and") -> str:
    """"a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def routine_names(catalog: Catalog) -> str:
    return joined([r.name for r in catalog.routines.values()], "or") or "none right now"


def welcome(catalog: Catalog) -> str:
    return (f"Welcome to Band Coach. I can coach you through {routine_names(catalog)}. "
            "Which would you like?")


def welcome_reprompt(catalog: Catalog) -> str:
    return f"Which routine would you like: {routine_names(catalog)}?"


def routine_list(catalog: Catalog) -> str:
    if not catalog.routines:
        return "I have no routines loaded right now. Ask the skill's operator to check its plugins."
    parts = [f"{r.name}, {minutes(catalog.timeline(r.id).seconds)}: {r.goal}" for r in catalog.routines.values()]
    return "Here are your routines. " + " ".join(p if p.endswith(".") else p + "." for p in parts)


def which_routine(catalog: Catalog) -> str:
    return f"Which routine would you like? You can say {routine_names(catalog)}."


def unknown_routine(heard: str, catalog: Catalog) -> str:
    return f"I don't have a routine called {echo(heard)}. I can do {routine_names(catalog)}. Which one?"


def starting(variant: Variant, seconds: float) -> str:
    length = "" if variant is Variant.STANDARD else f"the {variant.value} version, "
    return f"Okay, {length}{minutes(seconds)}."


def next_prompt(next_exercise: Exercise | None) -> str:
    if next_exercise is None:
        return ""
    return f"Say next when you're ready for {next_exercise.name.lower()}, or say repeat to hear that again."


def next_reprompt() -> str:
    return "Say next to go on, repeat to hear it again, or stop to finish."


def first_exercise() -> str:
    return "That's the first exercise, so here it is again."


def paused(exercise: Exercise) -> str:
    return f"Paused at {exercise.name}. Say resume when you're ready."


def paused_reprompt() -> str:
    return "Say resume when you're ready, or stop to finish for now."


def not_in_routine(catalog: Catalog) -> str:
    return f"There's no routine going right now. You can start {routine_names(catalog)}."


def help_general(catalog: Catalog) -> str:
    return ("Band Coach talks you through resistance band routines, step by step. "
            f"You can say: start the post-run stretch with a light band, list routines, "
            f"or how do I do a lateral band walk. I have {routine_names(catalog)}. What would you like?")


def help_in_routine(routine: Routine, number: int, total: int, exercise: Exercise) -> str:
    return (f"You're on exercise {number} of {total} of {routine.name}: {exercise.name}. "
            "Say next to move on, go back for the previous one, repeat that, start over, pause, or stop.")


def goodbye() -> str:
    return "Okay. Nice work today, and enjoy your run."


def goodbye_in_routine(routine: Routine) -> str:
    return f"Stopping {routine.name}. Open Band Coach any time to pick up where you left off."


def fallback(catalog: Catalog) -> str:
    return (f"Sorry, I can't help with that. I can coach you through {routine_names(catalog)}, "
            "list routines, or explain an exercise. What would you like?")


def fallback_in_routine() -> str:
    return "Sorry, I didn't get that. Say next, repeat, go back, or stop."


def apology() -> str:
    return "Sorry, something went wrong on my side. Please try that again, or say help."


def describe(exercise: Exercise) -> str:
    amount = (f"{exercise.reps} reps" if exercise.reps else f"a {exercise.hold_seconds} second hold")
    side = " on each side" if exercise.per_side else ""
    tips = " ".join(t if t.endswith(".") else t + "." for t in exercise.tips)
    return (f"{exercise.name}: {exercise.placement}. {exercise.setup} {tips} "
            f"Aim for {amount}{side}, with a {exercise.band.value} band to start.")


def unknown_exercise(heard: str) -> str:
    return (f"I don't know an exercise called {echo(heard)}. Try one from a routine, "
            "like lateral band walk, band squat or calf stretch.")


def which_exercise() -> str:
    return "Which exercise? For example: how do I do a lateral band walk."


def anything_else() -> str:
    return "What would you like to do next?"


def echo(heard: str) -> str:
    """Part of what the runner said, short enough to repeat back (it is escaped by the SSML module)."""
    text = " ".join(heard.split())
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO].rsplit(" ", 1)[0] + "…"


def no_progress_yet(catalog: Catalog) -> str:
    return f"You haven't finished a workout with me yet. Try {routine_names(catalog)}, and I'll keep track."


def progress_report(this_week: int, streak: int, bands: dict[str, str]) -> str:
    week = f"{this_week} workout{'s' if this_week != 1 else ''} this week"
    run = {0: "no streak yet", 1: "a workout today or yesterday"}.get(streak, f"a {streak} day streak")
    using = joined([f"the {band} band for {name}" for name, band in bands.items()])
    return f"You've done {week}, with {run}. You're using {using}." if using else f"You've done {week}, with {run}."


def which_band(heard: str | None) -> str:
    prefix = f"I don't know a {echo(heard)} band. " if heard else ""
    return f"{prefix}Which band are you using: light, medium or heavy?"


def band_set(band: str, routine: str | None, kept: bool) -> str:
    where = f" for {routine}" if routine else ""
    if not kept:
        return f"Okay, a {band} band{where}, for this session. I can't save it right now."
    return f"Got it: the {band} band{where} from now on."


def resume_offer(exercise: Exercise, routine: Routine) -> str:
    return (f"Welcome back. You stopped at {exercise.name.lower()} in your {routine.name}. "
            "Resume, or start something new?")


def resume_reprompt() -> str:
    return "Say resume to pick up where you stopped, or tell me which routine to start."


def handsfree_needs_https() -> str:
    return ("Hands-free needs the coach's audio to be reachable over a secure web address, "
            "and it isn't set up yet, so I'll coach you step by step.")


def handsfree_audio_not_ready() -> str:
    return "The audio for this routine isn't ready yet, so I'll coach you step by step."


def handsfree_no_player() -> str:
    return "This device can't play hands-free workouts, so I'll coach you step by step."


def loop_and_shuffle_not_supported() -> str:
    return "Looping and shuffling don't fit a workout, so I'll keep it playing in order."


def last_exercise() -> str:
    return "This is the last exercise."


def already_finished() -> str:
    return "You already finished that workout. Nice work! To go again, ask Band Coach to play it."


def handsfree_intro() -> str:
    return "Hands-free: I'll talk you through every exercise. Say Alexa, pause, or Alexa, next, any time."


def start_something_new(catalog: Catalog) -> str:
    return f"Okay. {which_routine(catalog)}"


def unknown_band(heard: str, using: str) -> str:
    return f"I don't know a {echo(heard)} band, so I'll use {using}."
