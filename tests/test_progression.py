"""The progression rule, streaks and weekly counts as tables, and the built-in hook that serves them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from plugins import progression as progression_plugin
from plugins.progression import MAX_EXTRA_SETS, PAIN_HOLD, RESTART_AFTER, SESSIONS_TO_PROGRESS, next_progression
from skill import Change, Progression, Rating, Routine, RoutineKind, SessionRecord, Step, hookimpl
from skill.catalog import Catalog
from skill.plugins import BandCoachPluginManager, call_first, make_plugin_manager
from skill.progression import streak_days, workouts_this_week
from skill.routines import BandLevel, Variant

NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)  # a Tuesday
GLUTES = Routine("glutes", "glutes", "strength", (Step("clamshell"), Step("band_squat")), kind=RoutineKind.STRENGTH)
WARMUP = Routine("warmup", "warm-up", "activation", (Step("monster_walk"),), kind=RoutineKind.ACTIVATION)
RECOVERY = Routine("recovery", "recovery", "stretch after a run", (Step("calf_stretch"),), kind=RoutineKind.MOBILITY)
L, M, H = BandLevel.LIGHT, BandLevel.MEDIUM, BandLevel.HEAVY
EASY, RIGHT, HARD = Rating.EASY, Rating.RIGHT, Rating.HARD


def s(days_ago: float = 1, band: BandLevel = L, extra: int = 0, *, done: bool = True, rating: Rating | None = RIGHT,
      variant: Variant = Variant.STANDARD, routine: str = "glutes") -> SessionRecord:
    return SessionRecord(routine, variant, band, extra, NOW - timedelta(days=days_ago), 900, done, rating)


def two(band: BandLevel = L, extra: int = 0, routine: str = "glutes") -> list[SessionRecord]:
    """Two good workouts at one level, far enough apart to count twice."""
    return [s(5, band, extra, routine=routine), s(2, band, extra, routine=routine)]


@pytest.mark.parametrize(("history", "band", "owned", "expected"), [
    pytest.param([], None, (), (L, 0, Change.SAME), id="first-workout-uses-the-routine-band"),
    pytest.param([], M, (), (M, 0, Change.SAME), id="first-workout-uses-the-chosen-band"),
    pytest.param([], H, (L, M), (M, 0, Change.SAME), id="a-band-not-owned-is-never-suggested"),
    pytest.param(two()[1:], None, (), (L, 0, Change.SAME), id="one-good-workout-is-not-enough"),
    pytest.param(two(), None, (), (L, 1, Change.ADD_SET), id="two-good-workouts-add-a-set"),
    pytest.param([s(2.1), s(2)], None, (), (L, 0, Change.SAME), id="two-in-one-evening-count-once"),
    pytest.param([s(3.5), s(2)], None, (), (L, 0, Change.SAME), id="under-48-hours-apart-count-once"),
    pytest.param(two(L, 1), None, (), (L, 2, Change.ADD_SET), id="second-extra-set"),
    pytest.param(two(L, 2), None, (), (M, 0, Change.BAND_UP), id="set-ceiling-moves-up-a-band"),
    pytest.param(two(M, 2), None, (), (H, 0, Change.BAND_UP), id="medium-to-heavy"),
    pytest.param(two(H, 2), None, (), (H, 2, Change.SAME), id="heavy-is-the-top"),
    pytest.param(two(L, 2), None, (L,), (L, 2, Change.SAME), id="no-heavier-band-owned-no-band-up"),
    pytest.param(two(L, 2), None, (L, H), (H, 0, Change.BAND_UP), id="up-to-the-next-band-owned"),
    pytest.param([s(5), s(2, rating=HARD)], None, (), (L, 0, Change.SAME), id="hard-holds-the-level"),
    pytest.param([s(5, rating=EASY), s(2, rating=EASY)], None, (), (L, 1, Change.ADD_SET), id="easy-counts"),
    pytest.param([s(5, rating=None), s(2, rating=None)], None, (), (L, 1, Change.ADD_SET), id="unrated-counts"),
    pytest.param([s(d, done=False) for d in (9, 7, 5, 2)], None, (), (L, 0, Change.SAME),
                 id="skip-throughs-never-progress"),
    pytest.param([*two(), s(0.5, done=False)], None, (), (L, 1, Change.ADD_SET), id="a-stopped-workout-resets-nothing"),
    pytest.param([s(5), s(3), s(1, extra=1)], None, (), (L, 1, Change.SAME), id="new-level-starts-a-new-run"),
    pytest.param([s(7), s(4, variant=Variant.SHORT), s(2)], None, (), (L, 1, Change.ADD_SET),
                 id="short-session-neither-counts-nor-breaks"),
    pytest.param([s(d, variant=Variant.SHORT) for d in (5, 2)], None, (), (L, 0, Change.SAME),
                 id="short-sessions-do-not-progress"),
    pytest.param([s(3, extra=2)], None, (), (L, 2, Change.SAME), id="three-days-off-is-no-layoff"),
    pytest.param([s(20, extra=2)], None, (), (L, 1, Change.STEP_BACK), id="three-weeks-off-one-step-back"),
    pytest.param([s(30, extra=2)], None, (), (L, 0, Change.STEP_BACK), id="four-weeks-off-two-steps-back"),
    pytest.param([s(60, M, 1)], None, (), (L, 0, Change.STEP_BACK), id="sixty-days-off-restarts-light"),
    pytest.param([s(20, M)], None, (), (L, 2, Change.STEP_BACK), id="a-step-back-can-cross-a-band"),
    pytest.param(two(L, 2), M, (), (M, 2, Change.SAME), id="a-chosen-band-keeps-the-extra-sets"),
    pytest.param([*two(), *(s(d, routine="warmup", done=False) for d in (0.5, 0.4))], None, (),
                 (L, 1, Change.ADD_SET), id="other-routines-are-ignored"),
])
def test_strength_progression(history: list[SessionRecord], band: BandLevel | None, owned: tuple[BandLevel, ...],
                              expected: tuple[BandLevel, int, Change]) -> None:
    result = next_progression(GLUTES, history, now=NOW, band=band, owned=owned)
    assert (result.band, result.extra_sets, result.change) == expected
    assert result.reason.endswith(".") and "glutes" in result.reason


def test_pain_in_the_routine_holds_the_level() -> None:
    held = next_progression(GLUTES, two(), now=NOW, pain={"clamshell": NOW - timedelta(days=3)})
    assert (held.band, held.extra_sets, held.change) == (L, 0, Change.SAME)


def test_old_pain_no_longer_holds_the_level() -> None:
    result = next_progression(GLUTES, two(), now=NOW, pain={"clamshell": NOW - PAIN_HOLD - timedelta(days=1)})
    assert result.change is Change.ADD_SET


@pytest.mark.parametrize("history", [two(M, routine="warmup"), two(H, routine="warmup"), two(L, 2, "warmup"),
                                     [s(d, M, routine="warmup") for d in range(1, 40, 2)]],
                         ids=["medium", "heavy", "extra-sets", "twenty-at-medium"])
def test_a_warm_up_never_goes_past_medium_nor_adds_a_set(history: list[SessionRecord]) -> None:
    result = next_progression(WARMUP, history, now=NOW)
    assert result.extra_sets == 0 and result.band in (L, M)


def test_a_warm_up_climbs_from_light_to_medium() -> None:
    result = next_progression(WARMUP, two(routine="warmup"), now=NOW)
    assert (result.band, result.extra_sets, result.change) == (M, 0, Change.BAND_UP)


@pytest.mark.parametrize("history", [[], two(routine="recovery"), [s(d, routine="recovery") for d in range(1, 30)],
                                     two(H, 2, "recovery")], ids=["new", "two", "a-month-daily", "heavy"])
def test_a_post_run_stretch_never_goes_up_a_band_or_a_set(history: list[SessionRecord]) -> None:
    result = next_progression(RECOVERY, history, now=NOW, band=H if history else None)
    assert (result.band, result.extra_sets, result.change) == (L, 0, Change.SAME)


@pytest.mark.parametrize(("history", "reason"), [
    (two(), "glutes has felt good twice: let's add a set."),
    (two(L, 2), "glutes has felt good with every extra set: time for your medium band."),
    ([s(20, extra=1)], "It's been 20 days since your last glutes: we'll ease back in, one step lighter."),
    ([s(60, M)], "It's been 60 days since your last glutes: we'll start again gently, on the light band."),
    (two()[1:], "Same as last time: one more good workout of glutes and we'll build up."),
    ([s(5), s(2, rating=HARD)], "glutes felt hard last time, so we'll keep it where it is."),
])
def test_reason_is_a_short_spoken_sentence(history: list[SessionRecord], reason: str) -> None:
    assert next_progression(GLUTES, history, now=NOW).reason == reason


@pytest.mark.parametrize(("days_ago", "expected"), [
    ([], 0),
    ([0], 1),
    ([1], 1),  # yesterday still counts: today's workout may be yet to come
    ([2], 0),
    ([0, 1, 2], 3),
    ([1, 2, 3, 5], 3),
    ([0, 0.1, 1], 2),  # two workouts on one day count once
    ([0, 2, 3], 1),
])
def test_streak_days(days_ago: list[float], expected: int) -> None:
    assert streak_days([s(d) for d in days_ago], today=NOW.date()) == expected


def test_streak_ignores_stopped_workouts() -> None:
    assert streak_days([s(1), s(0, done=False)], today=NOW.date()) == 1


def test_streak_counts_days_in_the_runners_time_zone() -> None:
    late = SessionRecord("recovery", Variant.STANDARD, L, 0, datetime(2026, 3, 10, 2, 0, tzinfo=UTC), 600, True)
    assert streak_days([late], today=date(2026, 3, 9), tz=timezone(timedelta(hours=-5))) == 1


@pytest.mark.parametrize(("days_ago", "expected"), [
    ([], 0),
    ([0, 1], 2),  # Tuesday and Monday
    ([0, 1, 2], 2),  # Sunday is last week
    ([0, 0.2], 2),  # two workouts on one day are two workouts
])
def test_workouts_this_week(days_ago: list[float], expected: int) -> None:
    assert workouts_this_week([s(d) for d in days_ago], today=NOW.date()) == expected


def recent_two() -> list[SessionRecord]:
    """Two good workouts in the last week by the real clock, which the hook reads."""
    shift = datetime.now(UTC) - NOW
    return [replace(r, started_at=r.started_at + shift) for r in two()]


def test_builtin_hook_applies_the_rule() -> None:
    result = progression_plugin.bandcoach_progression(GLUTES, recent_two(), None, {}, ())
    assert (result.band, result.extra_sets, result.change) == (L, 1, Change.ADD_SET)


def test_builtin_hook_honours_the_band_the_runner_chose() -> None:
    result = progression_plugin.bandcoach_progression(GLUTES, recent_two(), M, {}, ())
    assert (result.band, result.extra_sets, result.change) == (M, 0, Change.SAME)


def test_hook_bandcoach_progression_a_plugin_overrides_the_builtin_rule() -> None:
    class Gentle:
        __name__ = "gentle"

        @hookimpl
        def bandcoach_progression(self, routine: Routine, history: list[SessionRecord]) -> Progression:
            return Progression(L, 0, Change.SAME, "Keep it gentle.")

    pm = make_plugin_manager(load=False)
    pm.register_plugin(progression_plugin, "progression")
    assert call_first(pm, "bandcoach_progression", routine=GLUTES, history=recent_two(),
                      band=None, pain={}, owned=()).change is Change.ADD_SET
    pm.register_plugin(Gentle(), "gentle")
    assert call_first(pm, "bandcoach_progression", routine=GLUTES, history=recent_two(),
                      band=None, pain={}, owned=()).reason == "Keep it gentle."


def test_hook_bandcoach_progression_defers_to_the_builtin_rule_with_none(pm: BandCoachPluginManager) -> None:
    class Quiet:
        __name__ = "quiet"

        @hookimpl
        def bandcoach_progression(self, routine, history, band):
            return None

    pm.register_plugin(Quiet(), "quiet")
    assert Catalog.build(pm).progression("glutes", []).change is Change.SAME


def test_a_plugins_suggestion_of_a_band_the_runner_lacks_is_refused(pm: BandCoachPluginManager) -> None:
    class Pushy:
        __name__ = "pushy"

        @hookimpl
        def bandcoach_progression(self, routine: Routine) -> Progression:
            return Progression(H, 0, Change.BAND_UP, "Heavy now.")

    pm.register_plugin(Pushy(), "pushy")
    assert Catalog.build(pm).progression("glutes", [], owned=(L, M)) is None


def test_coaching_doc_states_the_rule_constants() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "coaching.md").read_text(encoding="utf-8")
    for text in (f"SESSIONS_TO_PROGRESS = {SESSIONS_TO_PROGRESS}", f"MAX_EXTRA_SETS = {MAX_EXTRA_SETS}",
                 f"PAIN_HOLD = {PAIN_HOLD.days} days", f"RESTART_AFTER = {RESTART_AFTER.days} days"):
        assert text in doc
