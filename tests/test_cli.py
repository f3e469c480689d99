"""The `bandcoach` command: listing, the model, talking to the skill, and clean errors."""

from __future__ import annotations

import json

from support.builtin_catalog import ROUTINE_IDS, builtin_catalog

from skill.cli import cli


def test_help_lists_the_environment_variables(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "BANDCOACH_VERIFY" in result.output and "BANDCOACH_LOAD_PLUGINS" in result.output


def test_plugins_lists_builtins_with_their_routines(runner):
    result = runner.invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["recovery"]["routines"] == ["recovery"]
    assert by_name["recovery"]["dist"] == "bandcoach"
    assert "bandcoach_routines" in by_name["recovery"]["hooks"]
    assert data["failed"] == []


def test_plugins_filters_by_hook(runner):
    data = json.loads(runner.invoke(cli, ["plugins", "--json", "--hook", "bandcoach_cue_text"]).output)
    assert [p["name"] for p in data["plugins"]] == ["coaching"]


def test_routines_json_has_the_documented_fields(runner):
    result = runner.invoke(cli, ["routines", "--json"])
    assert result.exit_code == 0, result.output
    routines = json.loads(result.output)
    assert {r["id"] for r in routines} == set(ROUTINE_IDS)
    step_fields = {"exercise", "exercise_name", "sets", "reps", "hold_seconds", "work_seconds", "per_side",
                   "rest_seconds", "dose", "duration_seconds"}
    for r in routines:
        assert {"id", "name", "aliases", "plugin", "duration_seconds", "steps"} <= set(r)
        assert 5 * 60 <= r["duration_seconds"] <= 15 * 60
        assert r["steps"] and all(step_fields <= set(s) for s in r["steps"])
        # every step is counted reps, a hold or a timed interval (the treadmill walks): exactly one
        assert all(sum(s[k] is not None for k in ("reps", "hold_seconds", "work_seconds")) == 1 for s in r["steps"])
    treadmill = next(r for r in routines if r["id"] == "treadmill")
    assert all(s["work_seconds"] for s in treadmill["steps"])


def test_routines_text_shows_durations(runner):
    result = runner.invoke(cli, ["routines"])
    assert "recovery: " in result.output and "min" in result.output


def test_model_check_passes_on_the_checked_in_models(runner):
    result = runner.invoke(cli, ["model", "check"])
    assert result.exit_code == 0, result.output


def test_model_check_fails_on_drift_with_the_fix(runner, tmp_path):
    result = runner.invoke(cli, ["model", "check", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "bandcoach model build" in result.output
    assert "Traceback" not in result.output


def test_model_build_writes_every_locale(runner, tmp_path):
    result = runner.invoke(cli, ["model", "build", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "en-AU.json", "en-CA.json", "en-GB.json", "en-IN.json", "en-US.json"]


def test_say_prints_what_alexa_would_say(runner):
    result = runner.invoke(cli, ["say", "ask band coach for a post-run stretch"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Alexa: ")
    assert "calf stretch" in result.output.lower()


def test_say_ssml_and_json(runner):
    assert "<speak>" in runner.invoke(cli, ["say", "--ssml", "open band coach"]).output
    data = json.loads(runner.invoke(cli, ["say", "--json", "open band coach"]).output)
    assert data["version"] == "1.0"


def test_say_unmatched_utterance_shows_close_matches_and_fails(runner):
    result = runner.invoke(cli, ["say", "lst routnes"])
    assert result.exit_code != 0
    assert "Close matches" in result.output and "list routines" in result.output
    assert "Traceback" not in result.output


def test_interactive_say_keeps_the_session(runner):
    script = "open band coach\nstart the post-run stretch with a light band\nnext\nnext\nnext\nrepeat\n" \
             "go back\nstop\n"
    result = runner.invoke(cli, ["say"], input=script)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "Alexa:" in line]
    assert len(lines) == 8
    total = len(builtin_catalog().timeline("recovery").blocks)
    assert f"Exercise 4 of {total}" in lines[4] and f"Exercise 4 of {total}" in lines[5]
    assert f"Exercise 3 of {total}" in lines[6]
    assert "pick up where you left off" in lines[7]


def test_a_bad_setting_is_a_clean_error(runner, monkeypatch):
    monkeypatch.setenv("BANDCOACH_STATE", "postgres")
    result = runner.invoke(cli, ["routines"])
    assert result.exit_code != 0
    assert "BANDCOACH_STATE" in result.output and "Traceback" not in result.output
