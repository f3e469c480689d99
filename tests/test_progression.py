"""The progression rule, streaks and weekly counts as tables, and the built-in hook that serves them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from plugins import progression as progression_plugin
from plugins.progression import LONG_BREAK, MAX_EXTRA_SETS, SESSIONS_TO_PROGRESS, next_progression
from skill import Change, Progression, Routine, SessionRecord, Step, hookimpl
from skill.catalog import Catalog
from skill.plugins import BandCoachPluginManager, call_first, make_plugin_manager
from skill.progression import streak_days, workouts_this_week
from skill.routines import BandLevel, Variant

NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)  # a Tuesday
RECOVERY = Routine("recovery", "recovery", "stretch after a run", (Step("calf-stretch"),))
L, M, H = BandLevel.LIGHT, BandLevel.MEDIUM, BandLevel.HEAVY


def s(days_ago: float = 1, band: BandLevel = L, extra: int = 0, *, done: bool = True,
      variant: Variant = Variant.STANDARD, routine: str = "recovery") -> SessionRecord:
    return SessionRecord(routine, variant, band, extra, NOW - timedelta(days=days_ago), 900, done)


def three(band: BandLevel = L, extra: int = 0) -> list[SessionRecord]:
    return [s(5, band, extra), s(3, band, extra), s(1, band, extra)]


@pytest.mark.parametrize(("history", "band", "expected"), [
    pytest.param([], None, (L, 0, Change.SAME), id="first-workout-uses-the-routine-band"),
    pytest.param([], M, (M, 0, Change.SAME), id="first-workout-uses-the-chosen-band"),
    pytest.param(three()[:2], None, (L, 0, Change.SAME), id="two-sessions-are-not-enough"),
    pytest.param(three(), None, (L, 1, Change.ADD_SET), id="three-in-a-row-add-a-set"),
    pytest.param(three(L, 1), None, (L, 2, Change.ADD_SET), id="second-extra-set"),
    pytest.param(three(L, 2), None, (M, 0, Change.BAND_UP), id="set-ceiling-moves-up-a-band"),
    pytest.param(three(M, 2), None, (H, 0, Change.BAND_UP), id="medium-to-heavy"),
    pytest.param(three(H, 2), None, (H, 2, Change.SAME), id="heavy-is-the-top"),
    pytest.param([*three(), s(0.5, done=False)], None, (L, 0, Change.SAME), id="stopped-early-resets-the-streak"),
    pytest.param([s(6, done=False), *three()], None, (L, 1, Change.ADD_SET), id="streak-rebuilt-after-a-stop"),
    pytest.param([s(5), s(3), s(1, extra=1)], None, (L, 1, Change.SAME), id="new-level-starts-a-new-streak"),
    pytest.param([s(5), s(3), s(2, variant=Variant.SHORT), s(1)], None, (L, 1, Change.ADD_SET),
                 id="short-session-neither-counts-nor-breaks"),
    pytest.param([s(d, variant=Variant.SHORT) for d in (5, 3, 1)], None, (L, 0, Change.SAME),
                 id="short-sessions-do-not-progress"),
    pytest.param([s(5, variant=Variant.LONG), s(3), s(1)], None, (L, 1, Change.ADD_SET), id="long-sessions-count"),
    pytest.param([s(14, extra=1)], None, (L, 0, Change.STEP_BACK), id="long-break-takes-a-set-off"),
    pytest.param([s(20, M)], None, (L, 0, Change.STEP_BACK), id="long-break-without-extra-sets-drops-a-band"),
    pytest.param([s(30)], None, (L, 0, Change.SAME), id="long-break-on-light-stays-light"),
    pytest.param([s(17), s(15), s(13.9)], None, (L, 1, Change.ADD_SET), id="just-under-two-weeks-is-no-break"),
    pytest.param(three(L, 2), M, (M, 0, Change.SAME), id="a-chosen-band-starts-its-own-streak"),
    pytest.param([*three(), *(s(d, routine="glutes", done=False) for d in (0.5, 0.4))], None,
                 (L, 1, Change.ADD_SET), id="other-routines-are-ignored"),
])
def test_next_progression(history: list[SessionRecord], band: BandLevel | None,
                          expected: tuple[BandLevel, int, Change]) -> None:
    result = next_progression(RECOVERY, history, now=NOW, band=band)
    assert (result.band, result.extra_sets, result.change) == expected
    assert result.reason.endswith(".") and "recovery" in result.reason


@pytest.mark.parametrize(("history", "reason"), [
    (three(), "You finished recovery three times in a row: let's add a set."),
    (three(L, 2), "You finished recovery three times in a row with every extra set: time for the medium band."),
    ([s(14, extra=1)], "It's been 14 days since your last recovery: we'll take one set off to ease back in."),
    (three()[:2], "Same as last time: one more full session of recovery and we'll build up."),
])
def test_reason_is_a_short_spoken_sentence(history: list[SessionRecord], reason: str) -> None:
    assert next_progression(RECOVERY, history, now=NOW).reason == reason


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


def recent_three() -> list[SessionRecord]:
    """Three completed sessions in the last three days by the real clock, which the hook reads."""
    shift = datetime.now(UTC) - NOW
    return [SessionRecord(r.routine, r.variant, r.band, r.extra_sets, r.started_at + shift, r.duration_seconds,
                          r.completed) for r in three()]


def test_builtin_hook_applies_the_rule() -> None:
    result = progression_plugin.bandcoach_progression(RECOVERY, recent_three(), None, {})
    assert (result.band, result.extra_sets, result.change) == (L, 1, Change.ADD_SET)


def test_builtin_hook_honours_the_band_the_runner_chose() -> None:
    result = progression_plugin.bandcoach_progression(RECOVERY, recent_three(), M, {})
    assert (result.band, result.extra_sets, result.change) == (M, 0, Change.SAME)


def test_hook_bandcoach_progression_a_plugin_overrides_the_builtin_rule() -> None:
    class Gentle:
        __name__ = "gentle"

        @hookimpl
        def bandcoach_progression(self, routine: Routine, history: list[SessionRecord]) -> Progression:
            return Progression(L, 0, Change.SAME, "Keep it gentle.")

    pm = make_plugin_manager(load=False)
    pm.register_plugin(progression_plugin, "progression")
    assert call_first(pm, "bandcoach_progression", routine=RECOVERY, history=recent_three(),
                      band=None, pain={}).change is Change.ADD_SET
    pm.register_plugin(Gentle(), "gentle")
    assert call_first(pm, "bandcoach_progression", routine=RECOVERY, history=recent_three(),
                      band=None, pain={}).reason == "Keep it gentle."


def test_hook_bandcoach_progression_defers_to_the_builtin_rule_with_none(pm: BandCoachPluginManager) -> None:
    class Quiet:
        __name__ = "quiet"

        @hookimpl
        def bandcoach_progression(self, routine, history, band):
            return None

    pm.register_plugin(Quiet(), "quiet")
    assert Catalog.build(pm).progression("glutes", []).change is Change.SAME


def test_coaching_doc_states_the_rule_constants() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "coaching.md").read_text(encoding="utf-8")
    for text in (f"SESSIONS_TO_PROGRESS = {SESSIONS_TO_PROGRESS}", f"MAX_EXTRA_SETS = {MAX_EXTRA_SETS}",
                 f"LONG_BREAK = {LONG_BREAK.days} days"):
        assert text in doc
