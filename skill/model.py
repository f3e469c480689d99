"""The interaction model (ASK skill-package format) for every locale: samples from a grammar, values from the catalog.

Each intent is a handful of templates (skill/grammar.py) over shared fragments: carrier phrases,
politeness and fillers around slot frames. They expand to the samples Alexa needs; the routine,
band and exercise values come from the plugins, the focus, equipment and length values from
skill/needs.py. `bandcoach model check` holds the result to Alexa's rules (skill/model_limits.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skill import needs, plan
from skill.catalog import Catalog
from skill.config import LOCALES
from skill.grammar import expand_all
from skill.progression import FEELINGS

INVOCATION = "band coach"

# Shared fragments; a template names them as <name>. Every one is itself a template. They stay
# small on purpose: a sample is one way of saying it, so the fragments multiply, and the words
# that vary most ("workout", "routine", "one") live in the slot values instead (see _ROUTINE_NOUNS).
FRAGMENTS: dict[str, str] = {
    # what runners put before a request, and after it
    "pre": "[(um|ok|so|right|yo|actually|please|can you|could you|just|go on then|kindly|no|nah|actually just)]",
    "few": "[(please|can you|could you|ok|um|just|so)]",
    "tail": "[(please|now|today|mate)]",
    # asking for a workout
    "ask": "(start|begin|do|give me|give us|get me|i want|i'd like|i need|i wanna|let's do|let's|"
           "coach me through|take me through|walk me through|time for|how about|i want to do|i'd like to do|"
           "can i get|can i have|can i do|can we do|i'd rather do|let's get|try|go with)",
    "ask_few": "(start|do|give me|give us|i want|i'd like|i need|i want to do|i'd like to do|let's do|can i do|"
               "can we do|can i get|take me through|can i have|let's get)",
    "the": "[(a|an|the|my|some)]",
    "with_band": "(with|using) (the|my|a) {band} band",
    "with_gear": "(with|using) [(my|a|just a)] {equipment}",
    "for_need": "for [(my|the|a)] {focus}",
    "timed": "[(a|the|my)] {minutes} minute",
    "something": "(something|anything|a workout|a routine|exercises|one)",
    "i_have": "(i've got|i have|i only have|i have about|i've got about|i only have about)",
    # where something hurts (the pain path needs no slot: every answer is the same, whatever the place)
    "body": "(knee|knees|back|lower back|hip|hips|ankle|ankles|foot|feet|hamstring|calf|calves|groin|glute|shin|"
            "shins|achilles|leg|legs|thigh|quad|neck)",
}
# Each routine name and alias is published in the ROUTINE values with the words runners put around
# it: a length in front ("a quick stretch") and a noun behind ("desk workout", "desk one"). Alexa
# matches a slot's words better than two slots side by side, so "quick" arrives in the routine's
# spoken value and skill.needs.length_in reads it there.
ALL_BANDS = ("all of them", "every band", "the whole set", "all the bands", "every level", "all three bands")
_ROUTINE_NOUNS = ("", " workout", " routine", " session", " one", " exercises")

START_TEMPLATES = (
    "<pre> <ask> <the> {routine}",
    "[(right|ok)] <ask_few> <the> {routine} (please|now|today|mate|going)",
    "[(can you|please)] <ask_few> [(a|the)] {routine} (<with_band>|<with_gear>|<for_need>)",
    "[(please|can you)] <ask_few> <timed> {routine} [please]",
    "<ask_few> <timed> {routine} (<with_band>|<with_gear>)",
    "<pre> <the> {routine} <tail>",
    "<the> {routine} (<with_band>|<with_gear>|<for_need>) [please]",
    "[(just|um|ok)] <timed> {routine} [(<with_band>|<with_gear>)] [please]",
    "[(a|my)] (quick|short|long|full) {minutes} minute {routine} [please]",
    "[(give me|i want|i'd like)] (a|the) (quick|short|long|full) {minutes} minute {routine}",
    "[(give me|i want|i need|do|let's do)] {minutes} minutes (of|for) {routine} [please]",
    "{minutes} minutes <for_need> [please]",
    "[<ask_few>] <something> (<for_need>|{focus})",
    "(please|can you|just|can you do|could you do|can you give me) <something> (<for_need>|{focus})",
    "[(give me|i want|i need)] <something> <for_need> <with_gear>",
    "[<ask_few>] (something|anything|one|a workout) {length} <for_need>",
    "[(just|) a] {length} (one|workout|session) <for_need>",
    "[(please|can you)] [<ask_few>] something (i can do|to do) in {minutes} minutes",
    "<i_have> {minutes} minutes [so] [(can you|could you)] [(give me|do)] [(a|the)] {routine} [please]",
    "<i_have> {minutes} minutes {focus}",
    "<i_have> [(a|an)] {equipment} [so] [(can you give me|give me)] (something|a workout) <for_need>",
    "<i_have> [(a|an)] {equipment} (what can i do|what should i do) <for_need>",
    "[(i|i've got|i have|i only have)] {equipment} [(so|but)] (can you|can we|can i) [still] (give me|do) "
    "[(a|the)] {routine}",
    "[(i|i'm|i am|i've|we|we're)] [just] {focus} [(please|now|then)]",
    "[(um|so|yo|ok|go on then|please|can you)] {focus}",
    "[(can you|please|i want to|i need to|i'd like to|let's)] (work on|stretch|strengthen|loosen up|target|help|"
    "work) (my|the) {focus} [please]",
    "[(my|the)] {focus} (are|is|feel|feels) [(really|so|a bit)] (tight|sore|stiff|weak|achy) "
    "[(can you help|help|after my run|today)]",
    "[(um|so)] [(i have a race on sunday and|i have a race coming up and)] i want to (get|make) my {focus} stronger",
    "[<ask_few>] (something|a workout|anything|a routine|exercises) (on|for|to do on) {equipment}",
    "(i'm|i am) (on|at|using) {equipment} [(now|today)] [so] [(give me|what can i do|start) [something]]",
)

PLAY_TEMPLATES = (
    "[(please|can you|could you|just)] play <the> {routine} [hands free] [please]",
    "[(please|can you|could you|just)] play <the> {routine} (<with_band>|<with_gear>) [hands free]",
    "[(please|can you|could you|just)] play <timed> {routine} [(<with_band>|<with_gear>)] [hands free]",
    "[(please|can you|could you|just)] play <something> <for_need>",
    "[(please|can you|could you|just)] play something (<for_need>|{focus}|{length} <for_need>)",
    "[(can you|please|just)] play <the> {routine} so i don't have to talk to you",
    "[(i want to|i'd like to|let's|can you|please|just)] [do] <the> {routine} hands free [please]",
    "(start|do|run|put on) <the> {routine} (hands free|as audio|without talking)",
    "hands free <the> {routine} [please]",
    "(i'm|we're) (at the track|outside|at the gym) so just play <the> {routine} [hands free]",
    "my hands are full [(can you|please|so)] play <the> {routine} [hands free]",
)

CUSTOM_INTENTS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "StartRoutineIntent": (
        {"routine": "ROUTINE", "band": "BAND_LEVEL", "minutes": "AMAZON.NUMBER", "focus": "FOCUS",
         "equipment": "EQUIPMENT", "length": "LENGTH"},
        START_TEMPLATES,
    ),
    "PlayRoutineIntent": (
        {"routine": "ROUTINE", "band": "BAND_LEVEL", "minutes": "AMAZON.NUMBER", "focus": "FOCUS",
         "equipment": "EQUIPMENT", "length": "LENGTH"},
        PLAY_TEMPLATES,
    ),
    "ListRoutinesIntent": ({}, (
        "<few> (list|tell me|read me|give me) [(all|the|your)] (routines|workouts|options|stretches)",
        "[(um|so|ok)] (what|which) [(kind of|sort of)] (routines|workouts|stretches|exercises) "
        "(do you have|are there|can you do|have you got|there are|it has|you have)",
        "<few> what are (my|the|your) options", "what can i do [with my bands]", "what can you coach [me through]",
        "what's on the menu [today]", "(do you have|have you got) any (workouts|routines|stretches)",
    )),
    "DescribeExerciseIntent": ({"exercise": "EXERCISE"}, (
        "[(wait|so|sorry|um|ok)] how (do|do you|do i|should i|can i) do [(a|an|the)] {exercise} [again]",
        "<few> (what is|what's|what are) [(a|an|the)] {exercise} [again]",
        "<few> (explain|describe|teach me|show me) [(a|an|the)] {exercise}",
        "<few> (tell me|show me|explain) how to do [(a|an|the)] {exercise}",
        "[(tell me about|remind me how)] [(a|an|the)] {exercise} [(goes|works)]",
        "how (does|do) [(a|an|the)] {exercise} (work|go)", "how to do [(a|an|the)] {exercise}",
        "what (a|an|the) {exercise} is", "i keep hearing about the {exercise} how do you do it",
        "[wait] how do i do [(a|an|the)] {exercise} with the band around my (knees|ankles|thighs)",
        "[(wait|sorry|so)] how do i do (this one|this exercise)",
    )),
    "ProgressIntent": ({}, (
        "<few> how (am i|i'm) doing", "<few> (what's|what is|tell me) my (streak|progress|stats)",
        "<few> how many (workouts|sessions|times) (have i done|did i do|have i worked out|i've done|i worked out) "
        "[(this week|so far|lately)]",
        "how many (workouts|sessions) this week", "(show|tell me|give me) my progress",
        "(am i|have i been) (improving|making progress|getting stronger|getting better)",
        "how's my training going", "what band am i on", "when did i last work out",
        "how consistent have i been [lately]", "how many days in a row have i (done my bands|trained)",
        "[give me] my progress", "what my streak is",
    )),
    "SetBandIntent": ({"band": "BAND_LEVEL", "routine": "ROUTINE"}, (
        "[(so|ok|um)] (i have|i've got|i only have|i'm using|i use|i'll use) (a|an|the|my) {band} band "
        "[(now|for (the|my) {routine})]",
        "(set|change|switch) my band to [(the|a)] {band} [(one|band)]", "my band is [(a|the)] {band}",
        "(use|switch to|switch me to|move me to|put me on|go up to|let's go up to|i want to use|i'm swapping to|"
        "i've switched to|i moved up to) (the|a|my) {band} (band|one) [(for (the|my) {routine}|now|instead)]",
        "(this is|it's) too (easy|hard) switch me to the {band} band",
        "i bought a new {band} band so use that from now on", "set the {routine} band to {band}",
    )),
    "TimeLeftIntent": ({}, (
        "<few> how (much longer|long left|long to go|much time is left|many minutes are left|long is left) "
        "[(do i have|have we got|is this|in this workout)]",
        "<few> how much of the workout is left", "(are we|am i) (nearly|almost) (there|done|finished)",
        "how long until (we're|i'm) (finished|done)",
        "(my legs are burning|this is hard|i'm tired) how much longer [(have we got|is this|do i have)]",
    )),
    "WhatsNextIntent": ({}, (
        "<few> (what's|what is|which exercise is|tell me what's) next [exercise]",
        "<few> (what's|what is) (the next|coming up|after this|after this one) [(exercise|one|stretch)]",
        "what (comes|is) after this [one]", "what (are we|do we) (doing|do) (next|after this)",
        "(which is the next|what's the next) (exercise|one|stretch)",
    )),
    "TakeABreakIntent": ({}, (
        "<few> (give me|i need|wait|hang on|hold on|just) (a|one) (minute|second|sec|moment|tick)",
        "<few> (i need|can i take|can i have|let me take|let's take) (a|a quick|a short) (break|breather|rest)",
        "[(i need to|let me)] (catch my breath|grab some water|fix my band)",
        "(hang on|hold on|wait) (a|one) (sec|second|tick|minute|moment) [i need to fix my band]",
        "one (sec|second|moment|minute)",
    )),
    "FinishWorkoutIntent": ({}, (
        "[(ok|right|so)] (i'm|i am) [(all|just)] (done|finished) [(for today|with this workout|now)]",
        "(that's|that is) (it|enough|all) [(for today|for now|i've got in me today)]",
        "(end|finish|wrap up) the (workout|routine|session)",
        "i think that's (enough|it)", "let's (wrap it up|call it a day|finish here|stop here)",
        "i'm knackered i'm done with this workout",
    )),
    "BandPlacementIntent": ({}, (
        "[(sorry|so|wait)] where (does|do|should) (the|my) [loop] band (go|be) [(for this one|for this exercise)]",
        "[(sorry|so|wait)] where (do|should) i put the band [(for this one|for this exercise)]",
        "[(sorry|so|wait)] (where's|where is|where was) the band (supposed to go|meant to be|meant to go)",
        "(does|should) the band go (around|on) my (knees|ankles|thighs|feet) or my (knees|ankles|thighs|feet)",
        "do i put the band (on|around) my (knees|ankles|thighs|feet)", "how do i set up the band",
    )),
    "DoseIntent": ({}, (
        "[(so|wait|sorry)] how many (reps|sets|seconds|times) [(is this|are we doing|do i do|per side|"
        "on each (leg|side))]",
        "how many (do i do|per side|each side|on each leg)",
        "how long (do i hold|is this hold|is the hold|do i hold each side) [(it|this|the stretch)]",
        "how many seconds do i hold [(it|the stretch|each side)]",
    )),
    "PainIntent": ({}, (
        "[(ow|ouch|oh)] (that|this|it|this one) (hurts|really hurts|is painful|is hurting|doesn't feel right)",
        "[(ow|ouch)] my <body> (hurts|hurt|is hurting|are hurting|is painful|is killing me|doesn't feel right)",
        "i (feel|have|got|felt) [a] (pain|sharp pain|twinge) in my <body>",
        "(i|i've) (hurt|pulled|tweaked) my <body>", "i think i (pulled|tweaked|hurt) (something|a muscle)",
        "(i'm|i am) in pain", "(ow|ouch)", "(something|it) (hurts|doesn't feel right)",
        "(i'm|i am) (feeling|getting) (dizzy|lightheaded|faint)", "i feel (dizzy|lightheaded|faint|sick|numb)",
        "my <body> (is|are|feels|feel|went|has gone) (numb|tingly)", "(this|that) is too painful",
    )),
    "EasierIntent": ({}, (
        "[(can you|please|can we|could you)] make (it|this|this one|the exercise) easier [please]",
        "(is there|do you have|have you got|got) (an easier|a lower impact|a low impact|a gentler) "
        "(one|option|version|exercise|way) [(please|for this|for this one)]",
        "[(give me|i'll take|i'd like|let's do|can i do|can i have|i want)] the (easier|gentler|low impact) "
        "(one|option|version) [please]",
        "[(um|so|honestly)] (this|this one|it) is too (hard|difficult|much) [for me] [(right now|today)]",
        "i can't do (this|this one|that) [(one|exercise)]", "(something|anything) easier [please]",
        "[(i need|give me)] an easier (exercise|option|one) [please]", "easier (one|option|version) please",
    )),
    "BandLevelsIntent": ({"band": "BAND_LEVEL"}, (
        "[(so|um|wait)] which band is which", "what (do|does) (the|my) bands weigh",
        "how (heavy|strong|hard|tough|stiff) (is the|is a|is my|are the|are my) {band} (band|bands)",
        "how (heavy|strong) are (the|my) bands", "how many pounds is (the|a) {band} band",
        "what's the difference between the bands", "what (do|does) the band (colours|colors|levels) mean",
        "(which|what) band should i (use|start with|get|buy)",
        "how much resistance (is|does) (the|a) {band} band [have]",
        "what (are|is) the band (levels|weights|resistances)",
    )),
    "FeedbackIntent": ({"feeling": "FEELING"}, (
        "{feeling}", "[(um|honestly|i'd say|i think)] (it|that) (was|felt) [(pretty|quite|a bit|really)] {feeling}",
        "[(it|that)] felt {feeling}", "(it's|that's) been {feeling}",
        "[(honestly|i think)] that workout (was|felt) {feeling}",
        "(the|my) (workout|session|last one) (was|felt) {feeling}", "i found it {feeling}",
    )),
    "SameAsLastTimeIntent": ({}, (
        "[(no|nah|actually|um)] (same as last time|the same as last time|same again|same as before) [please]",
        "[(no|nah|actually)] (keep it|leave it) (the same|as it was|where it was) [please]",
        "[(can we|can i|i'd like to|let's)] (do|stay at) the same (level|as last time) [please]",
        "(do|give me|let's do) (what i did|the same workout) (last time|as last time)",
        "don't (make it harder|add a set|change anything) [(yet|today)]", "no changes [(please|today)]",
    )),
    "HarderIntent": ({}, (
        "[(can you|please|can we)] make (it|this|this one|the exercise) harder [please]",
        "[(um|honestly)] (this|this one|it) is too easy [(for me|now)]",
        "(is there|do you have|have you got|got) a (harder|tougher) (one|option|version|exercise) [please]",
        "[(give me|i'll take|let's do|can i do|can i have|i want)] the harder (one|option|version) [please]",
        "i want more of a challenge", "something harder [please]", "(this|that) is way too easy",
    )),
    "OwnedBandsIntent": ({"band": "BAND_LEVEL", "band_two": "BAND_LEVEL", "all": "ALL_BANDS"}, (
        "[(i|we)] (have|own|got|only have|just have) (a|the) {band} (band|one) and (a|the) {band_two} (band|one)",
        "[(i|we)] (have|own|got) (a|the) {band} and (a|the) {band_two} (band|bands|one)",
        "[(i|we|i've|we've)] (have|own|got) {all} [(bands|of the bands|levels)]",
        "(my bands are|i've got bands in) {all}",
        "just (the|a) {band} (band|one)", "(i|we) own (a|the) {band} band",
    )),
    "SomethingElseIntent": ({}, (
        "[(nah|no|actually|um)] [(start|do|pick|let's do|i want|i'd rather do|let's try)] (something|anything) "
        "(else|new|different) [today]",
        "[(nah|no|actually)] (start|pick|i want|give me|let's try|let's do) (a|an) (new|different|other) "
        "(one|workout|routine)",
        "[(a|an)] (different|another|new) (routine|workout|one) [please]",
    )),
    # A runner's week (skill/plan.py, docs/plan.md): planning it, the running days, today, reminders for it.
    "PlanWeekIntent": ({}, (
        "<few> plan [out] my (week|training week|running week|training)",
        "[(can you|could you|please)] (make|build|give me|set up|create|put together) [me] a (weekly|week|training|"
        "running) plan",
        "[(can you|could you)] help me plan [out] my (week|training|running)",
        "(change|update|redo) my (running days|weekly plan|training plan|plan)", "plan (the|this|next) week [for me]",
        "i (want|need) a (weekly|training|week) plan", "(let's|can we) plan (my|the) week",
    )),
    "RunningDaysIntent": ({"days": "RUN_DAYS"}, (
        "[(i|we)] [(usually|normally|mostly|only|just)] run [on] {days}",
        "[(i|we)] [(usually|normally|mostly|only)] go (running|for a run|for runs) [on] {days}",
        "[(um|so|just|only)] [on] {days}", "my (running|run) days are {days}",
        "(i run|i go running|i'm running) every {days}", "{days} (are my running days|are my run days|is when i run)",
    )),
    "TodayIntent": ({}, (
        "<few> what (should|do|shall) i (do|train|work on) today", "what should i be doing today",
        "what's (on|planned) [for] today", "what's (my|the) (plan|workout|training|session) (for today|today)",
        "what (am i doing|do i have|have i got) (today|on today)",
        "is today a (run|running|rest|strength|training|workout) day", "what kind of day is (it|today)",
        "what's on my plan [for] today", "(tell me|what's) today's (plan|workout)",
        "what i should (do|train|be doing) today",
    )),
    "SetRemindersIntent": ({"time": "AMAZON.TIME"}, (
        "<few> (set|set up|turn on|switch on|make) (my|the|some) [workout] reminders [for {time}]",
        "[(please|can you)] remind me to stretch after (my|each|every) (run|runs) [at {time}]",
        "[(please|can you)] remind me (about|of) my (workouts|training|plan|glute workouts) [at {time}]",
        "(give me|send me|i want|i'd like) [workout] reminders [(at|for) {time}]",
        "remind me (on|for) my (running|run|strength|workout|training) days [at {time}]",
        "[(can you|please)] remind me to do my (workouts|exercises|stretches) [at {time}]",
        "[(can you|please)] (set up|set|make) [workout] reminders for my (workouts|runs|training|plan)",
    )),
    "ListRemindersIntent": ({}, (
        "<few> (list|read|tell me|read me) my [workout] reminders",
        "what [workout] reminders (do i have|have you set|did you set|are set|have i got)",
        "which reminders (do i have|have you set|are on)", "do i have any [workout] reminders [set]",
        "(are|have) my reminders (on|set|been set)",
    )),
    "CancelRemindersIntent": ({}, (
        "<few> (cancel|delete|remove|clear|stop|turn off|switch off) (my|the|all my|all the|all) [workout] reminders",
        "stop reminding me [(about my workouts|to stretch|please)]", "no more reminders [please]",
        "i don't want (any|the|my) reminders [(anymore|any more)]", "(get rid of|lose) (my|the) reminders",
    )),
}

# Amazon's built-in intents we handle, with extra samples where a runner speaks differently.
BUILTIN_INTENTS: dict[str, tuple[str, ...]] = {
    "AMAZON.NextIntent": ("next exercise [please]", "(i'm ready|ready) [let's go]", "ok i'm ready let's go",
                          "move on", "skip (this|this one|it|that)", "next one"),
    "AMAZON.PreviousIntent": ("previous exercise", "go back one", "back to the last exercise", "last exercise"),
    "AMAZON.RepeatIntent": ("say that again", "repeat the exercise", "one more time", "can you repeat that",
                            "sorry what did you say", "come again"),
    "AMAZON.StartOverIntent": ("start the routine over", "from the top", "start from the beginning",
                               "restart the (workout|routine)", "can we start again from the top"),
    "AMAZON.PauseIntent": ("pause the workout", "pause it", "pause for a bit"),
    "AMAZON.ResumeIntent": ("unpause", "keep going", "let's keep going", "carry on", "continue the routine",
                            "pick up where i left off", "ok i'm back carry on",
                            "resume (my|the) (workout|routine|session|warm up|stretch|glute workout|desk routine)"),
    "AMAZON.HelpIntent": ("i need help", "how does this work", "what can i say"),
    "AMAZON.StopIntent": ("stop talking", "be quiet", "quit"),
    "AMAZON.CancelIntent": ("cancel that", "forget it"),
    "AMAZON.FallbackIntent": (),
    "AMAZON.NavigateHomeIntent": ("go to the home screen",),
    "AMAZON.YesIntent": ("yes please", "sounds good", "yeah", "yep"),
    "AMAZON.NoIntent": ("not now", "nah", "nope"),
    # AudioPlayer skills must include these (hands-free answers them politely and plays on).
    "AMAZON.LoopOnIntent": ("loop this workout", "turn on loop"),
    "AMAZON.LoopOffIntent": ("stop looping", "turn off loop"),
    "AMAZON.ShuffleOnIntent": ("shuffle the exercises", "turn on shuffle"),
    "AMAZON.ShuffleOffIntent": ("turn off shuffle",),
}


def intent_samples() -> dict[str, list[str]]:
    """Every intent's samples, expanded from its templates (a sample two intents share is `model check`'s to report)."""
    groups = [(name, templates) for name, (_slots, templates) in CUSTOM_INTENTS.items()]
    return {name: expand_all(templates, FRAGMENTS) for name, templates in [*groups, *BUILTIN_INTENTS.items()]}


def build_model(catalog: Catalog, locale: str = "en-US") -> dict[str, Any]:
    """The interaction model for one locale: intents, samples and slot types from the plugins."""
    if locale not in LOCALES:
        raise ValueError(f"no interaction model for locale {locale!r}: use one of {', '.join(LOCALES)}")
    samples = intent_samples()
    intents: list[dict[str, Any]] = []
    for name, (slots, _templates) in CUSTOM_INTENTS.items():
        intents.append({"name": name, "slots": [{"name": s, "type": t} for s, t in slots.items()],
                        "samples": samples[name]})
    for name in BUILTIN_INTENTS:
        intents.append({"name": name, "samples": samples[name]})
    return {"interactionModel": {"languageModel": {
        "invocationName": INVOCATION, "intents": intents, "types": slot_types(catalog)}}}


def slot_types(catalog: Catalog) -> list[dict[str, Any]]:
    """The plugins' ROUTINE, BAND_LEVEL and EXERCISE values and the host's FOCUS, EQUIPMENT and LENGTH ones."""
    routines = [_value(r.id, r.name.lower(), _with_nouns(r.spoken_names)) for r in catalog.routines.values()]
    bands: dict[str, list[str]] = {}
    for name, level in catalog.band_names.items():
        if name != level.value:
            bands.setdefault(level.value, []).append(name)
    levels = [_value(level, level, tuple(names)) for level, names in
              sorted((lv.value, bands.get(lv.value, [])) for lv in {*catalog.band_names.values()})]
    exercises = [_value(e.id, e.name.lower(), e.aliases) for e in catalog.exercises.values()]
    return [
        {"name": "ROUTINE", "values": routines},
        {"name": "BAND_LEVEL", "values": levels},
        {"name": "EXERCISE", "values": exercises},
        {"name": "FOCUS", "values": _vocabulary(needs.FOCUS)},
        {"name": "EQUIPMENT", "values": _vocabulary(needs.EQUIPMENT)},
        {"name": "LENGTH", "values": _vocabulary(needs.LENGTH)},
        {"name": "RUN_DAYS", "values": _vocabulary(plan.run_day_values())},
        {"name": "FEELING", "values": _vocabulary(FEELINGS)},
        {"name": "ALL_BANDS", "values": [_value("all", "all three", ALL_BANDS)]},
    ]


def _with_nouns(names: tuple[str, ...]) -> tuple[str, ...]:
    """Each routine name as runners say it: "desk", "desk workout", "desk one", "a quick desk one"."""
    stems = [" ".join(n.lower().replace("-", " ").split()) for n in names]
    lengths = ("", *(f"{word} " for words in needs.LENGTH.values() for word in words))
    named = [stem + noun for stem in stems for noun in _ROUTINE_NOUNS if not (noun and stem.endswith(noun.split()[-1]))]
    return tuple(dict.fromkeys(length + name for name in named for length in lengths))


def _vocabulary(words: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    return [_value(value_id, spoken[0], spoken[1:]) for value_id, spoken in words.items()]


def _value(value_id: str, name: str, synonyms: tuple[str, ...]) -> dict[str, Any]:
    spoken = {s.lower().strip() for s in (name, *synonyms)}
    # Speech has no hyphens: "pre-run warm-up" may reach entity resolution as "pre run warm up".
    spoken |= {" ".join(s.replace("-", " ").split()) for s in spoken if "-" in s}
    unique = sorted(spoken - {name.lower()})
    entry: dict[str, Any] = {"id": value_id, "name": {"value": name}}
    if unique:
        entry["name"]["synonyms"] = unique
    return entry


def render(model: dict[str, Any]) -> str:
    """The model as the checked-in JSON text (stable key order, trailing newline)."""
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def model_path(folder: Path, locale: str) -> Path:
    return folder / f"{locale}.json"


# Where a project keeps its models: `interaction_models/` (what the clients and tests read) and the ASK CLI's
# skill-package layout (what `ask deploy` uploads). `model build` writes both, `model check` holds both.
MODEL_FOLDERS = (Path("interaction_models"), Path("skill-package") / "interactionModels" / "custom")


def project_root() -> Path:
    """The checkout this package runs from (the folder holding pyproject.toml), whatever the working directory."""
    return Path(__file__).resolve().parents[1]


def write_project_models(catalog: Catalog, root: Path) -> list[Path]:
    """Write every locale's model into both of the project's model folders under `root`; returns the folders."""
    folders = [root / folder for folder in MODEL_FOLDERS]
    for folder in folders:
        write_models(catalog, folder)
    return folders


def stale_project_models(catalog: Catalog, root: Path) -> list[str]:
    """The project's model files (relative to `root`) that are missing or differ from what the plugins produce."""
    return [str(folder / f"{locale}.json") for folder in MODEL_FOLDERS
            for locale in stale_models(catalog, root / folder)]


def write_models(catalog: Catalog, folder: Path) -> list[Path]:
    """Write every locale's model into `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for locale in LOCALES:
        path = model_path(folder, locale)
        path.write_text(render(build_model(catalog, locale)), encoding="utf-8")
        written.append(path)
    return written


def stale_models(catalog: Catalog, folder: Path) -> list[str]:
    """Locales whose checked-in model differs from what the plugins produce now."""
    return [
        locale for locale in LOCALES
        if not model_path(folder, locale).is_file()
        or model_path(folder, locale).read_text(encoding="utf-8") != render(build_model(catalog, locale))
    ]
