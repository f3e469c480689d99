"""Every fixed sentence the skill says, in one place, so wording stays consistent and checkable."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from skill.catalog import Catalog
from skill.plan import DAYS, WEEK, Day, WeeklyReminder, WeekPlan
from skill.progression import Change
from skill.routines import BandLevel, Dose, Exercise, Routine, RoutineKind, Variant

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
        return "I have no routines to offer right now, sorry. Please try again later."
    parts = [f"{r.name}, {minutes(catalog.timeline(r.id).seconds)}: {r.goal}" for r in catalog.routines.values()]
    return "Here are your routines. " + " ".join(p if p.endswith(".") else p + "." for p in parts)


def which_routine(catalog: Catalog) -> str:
    return f"Which routine would you like? You can say {routine_names(catalog)}."


def unknown_routine(heard: str, catalog: Catalog) -> str:
    return f"I don't have a routine called {echo(heard)}. I can do {routine_names(catalog)}. Which one?"


def nothing_for_that(catalog: Catalog) -> str:
    return f"I don't have a routine for that. I can do {routine_names(catalog)}. Which one?"


def band_named(band: BandLevel, top: BandLevel, kind: RoutineKind) -> str:
    """The band the runner named, confirmed; and, when the routine coaches nothing that heavy, why."""
    if top is band:
        return f"On your {band.value} band."
    if kind is RoutineKind.MOBILITY:
        return f"Stretches stay on a {top.value} band: a heavier one doesn't stretch you any further."
    return f"On your {band.value} band, though these exercises go no heavier than {top.value}."


def without_a_band() -> str:
    return "No band today? Do each move without one; it's just a little easier."


def starting(variant: Variant, seconds: float) -> str:
    length = "" if variant is Variant.STANDARD else f"the {variant.value} version, "
    return f"Okay, {length}{minutes(seconds)}."


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
    return f"Stopping {routine.name}. Open Band Coach later to pick up where you left off."


def fallback(catalog: Catalog) -> str:
    return (f"Sorry, I can't help with that. I can coach you through {routine_names(catalog)}, "
            "list routines, or explain an exercise. What would you like?")


def fallback_in_routine() -> str:
    return "Sorry, I didn't get that. Say next, repeat, go back, or stop."


def apology() -> str:
    return "Sorry, something went wrong on my side. Please try that again, or say help."


def describe(exercise: Exercise) -> str:
    """The whole of an exercise ("how do I do it"): placement, setup, caution, tips and the usual dose."""
    amount = (f"{exercise.reps} reps" if exercise.reps else f"a {exercise.hold_seconds} second hold"
              if exercise.hold_seconds else f"{duration(exercise.work_seconds or 0)} of steady walking")
    side = " on each side" if exercise.per_side else ""
    tips = " ".join(t if t.endswith(".") else t + "." for t in exercise.tips)
    caution = f" {exercise.caution}" if exercise.caution else ""
    band = ("a light band" if exercise.band is BandLevel.LIGHT
            else f"a light band, moving up to {exercise.band.value} as it gets easy")  # start light (the article)
    return (f"{exercise.name}: {exercise.band_kind.spoken} {exercise.placement}. {exercise.setup}{caution} "
            f"{tips} Aim for {amount}{side}, on {band}.")


def duration(seconds: int) -> str:
    """A length of time as a coach says it: "45 seconds", "one minute", "3 minutes"."""
    if seconds >= 60 and seconds % 60 == 0:
        return "one minute" if seconds == 60 else f"{seconds // 60} minutes"
    return f"{seconds} seconds"


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
    """`exercise` is where resuming starts."""
    return f"Welcome back. Next up is {exercise.name.lower()}. Resume your {routine.name}, or start something new?"


def resume_reprompt() -> str:
    return "Say resume to pick up where you stopped, or tell me which routine to start."


def audio_unavailable() -> str:
    """Hands-free was asked for but cannot play (the reason, for the operator, is in the log)."""
    return "I can't play this one as audio right now, so I'll coach you through it step by step."


def audio_unsupported() -> str:
    """Hands-free was asked for on a device that has no audio player."""
    return "This device can't play workouts as audio, so I'll coach you through it step by step."


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


# --- in a workout: time left, what's next, a break, finishing, the band and the dose ---------------


def not_in_workout(catalog: Catalog) -> str:
    """An in-workout request with no workout going: how to start one."""
    first = next(iter(catalog.routines.values()), None)
    how = f" To start one, say something like: start the {first.name.lower()}." if first else ""
    return f"You're not in a workout right now.{how}"


def say_next() -> str:
    """After a side question in a workout: the way on."""
    return "Say next when you're ready."


def time_left(seconds: float) -> str:
    """The rest of the workout, rounded as a coach would say it."""
    if seconds < 60:
        return "Less than a minute left."
    return f"{minutes(seconds).capitalize()} left."


def whats_next(exercise: Exercise, band: BandLevel, *, band_stays: bool = False) -> str:
    """The next exercise and where the band goes for it (nothing to move when it stays where it is)."""
    if band_stays:
        return f"Next is {exercise.name.lower()}, with the band where it is."
    return f"Next is {exercise.name.lower()}: {_band_words(exercise, band)} {exercise.placement}."


def last_one() -> str:
    """"What's next?" on the last exercise."""
    return "This is the last one."


def band_placement(exercise: Exercise, band: BandLevel) -> str:
    """Where the band goes for `exercise`, with its level."""
    return f"For {exercise.name.lower()}, {_band_words(exercise, band)} {exercise.placement}."


def _band_words(exercise: Exercise, level: BandLevel) -> str:
    """"light loop band": the band `exercise` is coached on at the runner's `level`, and its shape."""
    return f"{exercise.band_for(level).value} {exercise.band_kind.spoken}"


def dose(exercise: Exercise, amount: Dose) -> str:
    """The sets, reps or hold of one exercise, per side when it is done on each side."""
    each = " on each side" if amount.per_side else ""
    if amount.hold_seconds is not None:
        hold = (f"{amount.sets} holds of {amount.hold_seconds} seconds" if amount.sets > 1
                else f"hold for {amount.hold_seconds} seconds")
        return f"For {exercise.name.lower()}, {hold}{each}."
    if amount.work_seconds is not None:
        rounds = f"{amount.sets} rounds of " if amount.sets > 1 else ""
        return f"For {exercise.name.lower()}, {rounds}{duration(amount.work_seconds)}{each}."
    reps = f"{amount.sets} sets of {amount.reps} reps" if amount.sets > 1 else f"{amount.reps} reps"
    return f"For {exercise.name.lower()}, {reps}{each}."


def take_a_break() -> str:
    """A break is the end of the session (Alexa keeps none open for a minute): say how to come back."""
    return "Take your time. When you're ready, say 'Alexa, ask Band Coach to resume'."


def workout_summary(done: int, total: int, routine: Routine, seconds: float) -> str:
    """What was done when the runner finishes: exercises of the routine and about how long."""
    if done <= 0:
        return f"Okay, stopping your {routine.name} there. Come back any time."
    amount = f"all {total} exercises" if done >= total else f"{done} of {total} exercises"
    return f"Nice work: {amount} of your {routine.name}, {minutes(seconds)}."


# --- progression: how it felt, announced changes, the bands a runner has -------------------------

def how_did_it_feel() -> str:
    return "How did that feel: easy, about right, or hard?"


def how_did_it_feel_reprompt() -> str:
    return "Was that easy, about right, or hard?"


def change_announced(reason: str) -> str:
    """A change in today's workout, said before it starts, and how to decline it."""
    return f"{reason} Or say 'same as last time'."


def feedback_thanks(rating: str, next_time: str) -> str:
    """The answer to "how did that feel": thanks, and what it means for next time."""
    heard = {"easy": "Easy, noted.", "right": "About right, noted.", "hard": "Hard, noted."}.get(rating, "Noted.")
    return f"{heard} {next_time}"


def nothing_to_rate() -> str:
    return "I don't have a recent workout of yours to rate. After your next one, tell me how it felt."


def same_as_last_time() -> str:
    return "Okay, same as last time."


def nothing_to_repeat(catalog: Catalog) -> str:
    return f"You haven't done a workout with me yet. {which_routine(catalog)}"


def bands_kept(bands: list[str]) -> str:
    """The runner's bands confirmed: only those will be suggested."""
    return f"Got it: {joined(bands)}. I'll only suggest {'that band' if len(bands) == 1 else 'those'}."


def routine_progress(name: str, band: str, extra_sets: int, change: Change, next_band: str) -> str:
    """One routine's level and what comes next, for "how am I doing": "Glute strength workout: light band
    with 1 extra set; next time, a set more."."""
    extra = "" if not extra_sets else f" with {extra_sets} extra set{'s' if extra_sets > 1 else ''}"
    nxt = {Change.ADD_SET: "a set more", Change.BAND_UP: f"the {next_band} band",
           Change.STEP_BACK: "a step lighter, to ease back in"}.get(change, "the same")
    return f"{name}: {band} band{extra}; next time, {nxt}."


def band_check(reason: str, band: str) -> str:
    """Before the first suggestion of a heavier band, when the runner's bands are not known: ask."""
    return f"{reason.rstrip('.')}, if you have one. Do you have a {band} band?"


def band_check_reprompt(band: str) -> str:
    return f"Do you have a {band} band? Yes or no."


def eased_today(hurt: Exercise, easier: Exercise) -> str:
    """At the start: an exercise that hurt recently is swapped for its easier option this time."""
    return f"Your {hurt.name.lower()} hurt recently, so today it's the {easier.name.lower()} instead."


def harder_instead(exercise: Exercise) -> str:
    return f"Okay, the {exercise.name.lower()} instead: it's harder."


def no_harder_option(exercise: Exercise) -> str:
    return (f"There's no harder version of the {exercise.name.lower()}. Tell me it was easy at the end, "
            "and it'll move up sooner.")


# --- safety: the pain path, the easier option, the first-time line, what the bands weigh ----------

STOP_SIGNS = "If the pain is sharp, or you feel dizzy or numb, stop for today."


def pain_in_workout(easier: Exercise | None) -> str:
    """Something hurts mid-exercise: stop, the stop signs, then one question (the easier option, else a skip)."""
    offer = (f"Want to try an easier one instead, the {easier.name.lower()}? Or say skip."
             if easier is not None else "Shall we skip this one and go on?")
    return f"Stop there, and ease out of it. {STOP_SIGNS} {offer}"


def pain_reprompt(easier: Exercise | None) -> str:
    return "Say yes for the easier one, skip to go on, or stop to finish." if easier is not None \
        else "Say yes to skip this one, or stop to finish."


def pain_hands_free() -> str:
    """Something hurts while the workout plays as audio: it has stopped; how to go on."""
    return (f"I've stopped the workout. {STOP_SIGNS} When you're ready, say 'Alexa, ask Band Coach to resume', "
            "and we'll go on from the next exercise.")


def pain_outside_workout() -> str:
    """Something hurts, no workout going: rest, and when to see someone; no diagnosis."""
    return ("Sorry to hear that. Give it a rest today. If the pain is sharp, keeps coming back, or comes with "
            "swelling, dizziness or numbness, check with a doctor or physio before you train on it.")


def easier_instead(exercise: Exercise) -> str:
    return f"Okay, the {exercise.name.lower()} instead."


def no_easier_option(exercise: Exercise) -> str:
    return f"There's no easier version of the {exercise.name.lower()}, so let's skip it."


def skipping() -> str:
    return "Okay, we'll skip that one."


def not_skipping() -> str:
    return "Okay. Take a moment, then say next when you're ready, or stop to finish."


def easier_hands_free() -> str:
    """Hands-free plays a fixed recording, so no swap: say how to leave the exercise out."""
    return "I can't swap exercises while the workout plays. Say 'Alexa, next' to skip this one."


def safety_first_time() -> str:
    """Said once, before a runner's very first exercise."""
    return "First, check your band for nicks or tears. Stop if you feel sharp pain, dizziness or numbness."


# The article's ranges for each level; they overlap, and the feel varies band to band.
POUNDS: dict[BandLevel, str] = {BandLevel.LIGHT: "10 to 35", BandLevel.MEDIUM: "40 to 80",
                                BandLevel.HEAVY: "60 to 150"}


def band_levels(current: BandLevel | None, asked: BandLevel | None = None) -> str:
    """What the band levels weigh (the article's ranges), the one asked about first, and the runner's
    band when a workout is going."""
    today = f" Today you're on the {current.value} band." if current is not None else ""
    if asked is not None:
        return (f"A {asked.value} band is about {POUNDS[asked]} pounds of resistance, though the feel varies from "
                f"band to band.{today}")
    return (f"Light bands are about {POUNDS[BandLevel.LIGHT]} pounds, medium {POUNDS[BandLevel.MEDIUM]}, and heavy "
            f"{POUNDS[BandLevel.HEAVY]}. The feel varies from band to band, so start light and move up when the "
            f"last reps feel easy.{today}")


# --- a runner's week: the plan, today, and reminders (skill/plan.py, docs/plan.md) --------------


def which_running_days() -> str:
    return "Which days do you run? For example: Monday, Wednesday and Saturday."


def running_days_not_heard(heard: str | None) -> str:
    """The answer named no weekday: say so, and ask again."""
    prefix = f"I didn't hear a day in {echo(heard)}. " if heard else "I didn't catch your running days. "
    return prefix + which_running_days()


def no_plan_yet() -> str:
    """"What should I do today?" before the runner has told us their running days."""
    return f"We haven't planned your week yet. {which_running_days()}"


def week_plan(plan: WeekPlan) -> str:
    """The week, one breath per group of days: the runs and what goes round them, strength, rest, the desk."""
    parts = []
    if plan.run_days:
        around = _around_run(plan.run_days[0])
        runs = f"Runs {_on_days(d.weekday for d in plan.run_days)}"
        parts.append(f"{runs}: {around}." if around else f"{runs}.")
    if plan.strength_days:
        easy = [d.weekday for d in plan.strength_days if d.run]
        keep_easy = f"; keep the run easy on {_day_names(easy)}" if easy else ""
        parts.append(f"Glute strength on {_day_names(d.weekday for d in plan.strength_days)}{keep_easy}.")
    if plan.rest_days:
        parts.append(f"{_day_names(d.weekday for d in plan.rest_days)} is a rest day.")
    else:
        parts.append("There's no rest day, so take one whenever your legs ask for it.")
    if plan.desk_days:
        workdays = "On workdays" if len(plan.desk_days) == 5 else "On the other workdays"
        parts.append(f"{workdays}, the desk routine is there if you sit a lot.")
    return " ".join(parts)


def plan_next_steps() -> str:
    return "Any day, ask me what to do today. To get reminders, say: set my workout reminders."


def plan_not_kept() -> str:
    return "I can't save your plan right now, so tell me your running days again next time."


def reminders_follow_old_plan() -> str:
    return "Your reminders still follow your old plan: say set my workout reminders to move them."


def today_plan(day: Day, offered: Routine | None) -> str:
    """What today holds in the runner's week, and the offer to start its first routine."""
    if day.run:
        around = _around_run(day)
        text = f"Today is a run day: {around}." if around else "Today is a run day."
        if day.strength:
            text += " Glute strength too, after an easy run."
    elif day.strength:
        text = "Today is a glute strength day."
    elif day.rest:
        text = "Today is a rest day: it's when your training sinks in. Enjoy it."
    elif day.desk:
        text = "Today is an easy day. If you've been sitting a lot, the desk routine will loosen you up."
    else:
        text = "Today is an easy day, with nothing planned. Keep it gentle."
    return f"{text} Start the {offered.name.lower()}?" if offered is not None else text


def today_reprompt(offered: Routine) -> str:
    return f"Shall I start the {offered.name.lower()}? Say yes or no."


def not_now() -> str:
    return f"Okay. {anything_else()}"


def reminder_words(routine: Routine) -> str:
    """What Alexa says when a reminder rings: which workout, and the words that start it."""
    name = routine.name.lower()
    return f"Time for your {name}. Say: Alexa, ask Band Coach for the {name}."


def reminders_set(reminders: tuple[WeeklyReminder, ...], catalog: Catalog, kept: bool) -> str:
    """The reminders just made, with their time and days (Amazon asks skills to say both)."""
    if not reminders:
        return "There's nothing in your week to remind you about."
    about = _each([f"your {_reminded(r, catalog)} on {_day_names(r.weekdays)}" for r in reminders])
    text = f"Done. Every week at {clock(reminders[0].at)}, I'll remind you about {about}."
    return text if kept else f"{text} I can't note them down right now, so to stop them, use the Alexa app."


def reminders_listed(reminders: tuple[WeeklyReminder, ...], catalog: Catalog) -> str:
    if not reminders:
        return "You have no Band Coach reminders. To get them, say: set my workout reminders."
    about = _each([f"your {_reminded(r, catalog)} {_on_days(r.weekdays)} at {clock(r.at)}" for r in reminders])
    count = len(reminders)
    return f"You have {count} Band Coach reminder{'s' if count != 1 else ''}: {about}."


def reminders_cancelled(count: int) -> str:
    if count <= 0:
        return "You have no Band Coach reminders to cancel."
    return f"Done: I've cancelled your {count} Band Coach reminder{'s' if count != 1 else ''}."


def reminders_need_plan() -> str:
    return f"First let's plan your week, so I know when to remind you. {which_running_days()}"


def reminders_need_permission() -> str:
    """No permission for reminders yet: the card in the Alexa app is where it is given."""
    return ("To set reminders, Band Coach needs your permission. I've sent a card to your Alexa app: "
            "turn on reminders there, then ask me again.")


def reminders_failed() -> str:
    return "Sorry, I couldn't reach your reminders just now. Please try again in a little while."


def clock(at: time) -> str:
    """A time of day as it is said: "6 PM", "7:30 AM", "12 PM"."""
    hour = at.hour % 12 or 12
    minutes_past = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes_past} {'AM' if at.hour < 12 else 'PM'}"


def _around_run(day: Day) -> str:
    """"warm-up before, stretch after": what a run day holds around the run."""
    return ", ".join(words for routine, words in ((day.before_run, "warm-up before"), (day.after_run, "stretch after"))
                     if routine)


def _day_names(weekdays: Iterable[int]) -> str:
    return joined([DAYS[d].capitalize() for d in sorted(set(weekdays))])


def _on_days(weekdays: Iterable[int]) -> str:
    days = set(weekdays)
    return "every day" if days == WEEK else f"on {_day_names(days)}"


def _each(items: list[str]) -> str:
    """Items that have "and" inside them, joined with a comma before the last "and" so they stay apart."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])}, and {items[-1]}"


def _reminded(reminder: WeeklyReminder, catalog: Catalog) -> str:
    routine = catalog.routines.get(reminder.routine)
    return routine.name.lower() if routine is not None else "workout"


def progress_not_saved() -> str:
    """Said once in a session whose progress the state store failed to keep; the coaching goes on."""
    return "Just so you know, I couldn't save your progress this time."
