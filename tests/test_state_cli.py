"""`bandcoach progress`, `forget` and `db migrate` through the real `bandcoach` group."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from skill.cli import AppContext, cli
from skill.config import Settings
from skill.progression import SessionRecord
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, make_store
from skill.state.sqlite import SCHEMA_VERSION

ALEXA_ID = "amzn1.ask.account.AFAKEIDFORTESTS0123456789"


@pytest.fixture
def invoke(runner: CliRunner, settings: Settings):
    def _invoke(*args: str, input: str | None = None, settings_: Settings = settings) -> Result:
        return runner.invoke(cli, list(args), obj=AppContext(_settings=settings_), input=input)
    return _invoke


@pytest.fixture
def trained(settings: Settings) -> None:
    """A runner midway through recovery, with two workouts behind them (yesterday and today)."""
    store = make_store(settings)
    now = datetime.now(UTC)
    for days in (1, 0):
        store.record_workout(ALEXA_ID, SessionRecord("recovery", Variant.STANDARD, BandLevel.LIGHT, 1,
                                                     now - timedelta(days=days, minutes=30), 720, True))
    store.set_band(ALEXA_ID, None, BandLevel.MEDIUM)
    kept = Place("glutes", Variant.SHORT, BandLevel.MEDIUM, 0, 3, int(now.timestamp()))
    store.set_in_progress(ALEXA_ID, InProgress(kept))


def test_progress_json_of_a_new_user_is_empty(invoke) -> None:
    result = invoke("progress", "--user", ALEXA_ID, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["band"], data["in_progress"], data["history"], data["streak_days"]) == (None, None, [], 0)


@pytest.mark.usefixtures("trained")
def test_progress_json_shows_position_history_streak_and_week(invoke) -> None:
    data = json.loads(invoke("progress", "--user", ALEXA_ID, "--json").output)
    assert data["band"] == "medium"
    assert (data["in_progress"]["routine"], data["in_progress"]["step"]) == ("glutes", 3)
    assert [h["routine"] for h in data["history"]] == ["recovery", "recovery"]
    assert data["streak_days"] == 2 and 1 <= data["workouts_this_week"] <= 2


@pytest.mark.usefixtures("trained")
def test_progress_json_gives_each_routines_next_step_as_the_skill_would_say_it(invoke) -> None:
    data = json.loads(invoke("progress", "--user", ALEXA_ID, "--json").output)
    assert list(data["next"]) == ["recovery"]  # only routines the runner has done
    assert data["next"]["recovery"] == {"band": "light", "extra_sets": 0, "change": "same",
                                        "reason": "Post-run stretch stays on a light band: ease a little deeper as "
                                                  "it feels easier."}


@pytest.mark.usefixtures("trained")
def test_progress_text_is_readable(invoke) -> None:
    output = invoke("progress", "--user", ALEXA_ID).output
    assert "Band: medium" in output
    assert "In progress: glutes (short), step 4, medium band" in output
    assert "recovery (standard), light +1 set(s), 12 min, completed" in output


@pytest.mark.usefixtures("trained")
def test_forget_with_yes_deletes_and_says_so(invoke, settings: Settings) -> None:
    result = invoke("forget", "--user", ALEXA_ID, "--yes")
    assert (result.exit_code, result.output.strip()) == (0, "Deleted the user's data.")
    assert make_store(settings).load(ALEXA_ID).history == ()


@pytest.mark.usefixtures("trained")
def test_forget_asks_first_and_keeps_data_when_declined(invoke, settings: Settings) -> None:
    result = invoke("forget", "--user", ALEXA_ID, input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert len(make_store(settings).load(ALEXA_ID).history) == 2


@pytest.mark.usefixtures("trained")
def test_forget_confirmed_at_the_prompt_deletes(invoke) -> None:
    assert "Deleted the user's data." in invoke("forget", "--user", ALEXA_ID, input="y\n").output


def test_forget_of_an_unknown_user_deletes_nothing(invoke) -> None:
    result = invoke("forget", "--user", ALEXA_ID, "--yes")
    assert (result.exit_code, result.output.strip()) == (0, "Nothing was stored for that user; nothing deleted.")


def test_db_migrate_prints_the_version(invoke, settings: Settings) -> None:
    result = invoke("db", "migrate")
    assert (result.exit_code, result.output.strip()) == (0, f"State store at schema version {SCHEMA_VERSION}.")
    assert settings.db_path.exists()


def test_user_is_required(invoke) -> None:
    result = invoke("progress")
    assert result.exit_code == 2 and "--user" in result.output


def test_unusable_database_is_a_clean_error_with_the_fix(invoke, settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a directory should be")
    result = invoke("db", "migrate", settings_=replace(settings, db=tmp_path / "blocker" / "state.db"))
    assert result.exit_code != 0
    assert "BANDCOACH_DB" in result.output and "Traceback" not in result.output
