"""The `bandcoach` command: listing, the model, talking to the skill, and clean errors."""

from __future__ import annotations

import gc
import json
import re
import sys
from dataclasses import fields

import click
import pytest
from support.builtin_catalog import ROUTINE_IDS, builtin_catalog

from skill import hookimpl
from skill.cli import AppContext, cli
from skill.cli.params import BAND
from skill.config import Settings
from skill.model import project_root


def test_help_lists_the_environment_variables(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "BANDCOACH_VERIFY" in result.output and "BANDCOACH_LOAD_PLUGINS" in result.output


def test_help_shows_the_environment_variables_as_a_table_one_name_a_line(runner):
    """Not reflowed into one paragraph: each variable starts its own line, its meaning indented under it."""
    lines = runner.invoke(cli, ["--help"]).output.splitlines()
    named = [line for line in lines if line.lstrip().startswith("BANDCOACH_")]
    assert len(named) == len(fields(Settings))
    assert all(re.fullmatch(r" +BANDCOACH_[A-Z0-9_]+( \[default: .*\])?", line) for line in named), named
    assert all(len(line) <= 80 for line in lines)


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


MODEL_FILES = ["en-AU.json", "en-CA.json", "en-GB.json", "en-IN.json", "en-US.json"]


def test_model_build_writes_every_locale_to_both_folders_and_says_where(runner, tmp_path):
    result = runner.invoke(cli, ["model", "build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for folder in ("interaction_models", "skill-package/interactionModels/custom"):
        assert sorted(p.name for p in (tmp_path / folder).iterdir()) == MODEL_FILES
        assert str(tmp_path / folder) in result.output
    assert runner.invoke(cli, ["model", "check", "--dir", str(tmp_path)]).exit_code == 0


def test_model_check_names_a_stale_skill_package_model(runner, tmp_path):
    runner.invoke(cli, ["model", "build", "--out", str(tmp_path)])
    (tmp_path / "skill-package/interactionModels/custom/en-GB.json").write_text("{}\n")
    result = runner.invoke(cli, ["model", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "skill-package/interactionModels/custom/en-GB.json" in result.output
    assert "interaction_models/en-GB.json" not in result.output.replace("custom/en-GB", "")


def test_model_commands_find_the_project_from_any_working_directory(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["model", "check"])
    assert result.exit_code == 0, result.output
    assert str(project_root()) in result.output and not list(tmp_path.iterdir())
    assert (project_root() / "pyproject.toml").is_file()


def test_model_build_into_an_unwritable_place_is_one_line_with_the_fix(runner, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(cli, ["model", "build", "--out", str(blocker / "models")])
    assert result.exit_code == 1
    assert "pass --out DIR" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


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


def test_say_keeps_progress_in_the_data_dir_and_says_so(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("BANDCOACH_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(cli, ["say"], input="ask band coach for a post-run stretch\nquit\n")
    assert f"Progress is kept in {tmp_path / 'data'}" in result.output
    assert list((tmp_path / "data").iterdir()), "the store is created where progress is kept"


def test_say_fresh_leaves_the_real_store_untouched_and_cleans_up(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("BANDCOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    result = runner.invoke(cli, ["say", "--fresh", "ask band coach for a post-run stretch"])
    assert result.exit_code == 0, result.output
    assert "calf stretch" in result.output.lower()
    assert not (tmp_path / "data").exists()
    assert not list((tmp_path / "tmp").iterdir()), "the throwaway store is removed afterwards"


class LocaleEcho:
    """Speaks each cue as the locale it was asked for, so a test hears which locale reached the skill."""

    __name__ = "locale_echo"

    @hookimpl
    def bandcoach_cue_text(self, cue, locale):
        return f"[{locale}]"


def test_say_speaks_in_the_locale_bandcoach_locale_names(runner, pm, monkeypatch):
    monkeypatch.setenv("BANDCOACH_LOCALE", "en-GB")
    pm.register(LocaleEcho(), name="locale_echo")
    result = runner.invoke(cli, ["say", "ask band coach for a post-run stretch"], obj=AppContext(_pm=pm))
    assert result.exit_code == 0, result.output
    assert "[en-GB]" in result.output and "[en-US]" not in result.output


def test_routines_refuses_a_bad_bandcoach_locale_in_one_line(runner, monkeypatch):
    monkeypatch.setenv("BANDCOACH_LOCALE", "fr-FR")
    result = runner.invoke(cli, ["routines"])
    assert result.exit_code == 1
    assert "BANDCOACH_LOCALE='fr-FR': use one of en-US" in result.output and "Traceback" not in result.output


@click.command()
@click.option("--band", type=BAND)
def band_echo(band):
    click.echo(band)


@pytest.mark.parametrize(("said", "level"), [("red", "medium"), ("Heavy", "heavy"), ("yellow", "light"),
                                             ("black", "heavy")])
def test_a_band_colour_on_the_command_line_means_what_it_means_spoken(runner, said, level):
    assert runner.invoke(band_echo, ["--band", said]).output.strip() == level


def test_an_unknown_band_is_refused_with_the_names_to_use(runner):
    result = runner.invoke(band_echo, ["--band", "purple"])
    assert result.exit_code == 2
    assert "'purple' is no band: use light, medium, heavy or a colour" in result.output and "red" in result.output


def test_a_missing_extra_is_named_with_the_install_command(runner, monkeypatch):
    """DynamoDB state without boto3 (the aws extra): one line with the fix, not a ModuleNotFoundError."""
    for module in ("boto3", "botocore", "botocore.config", "botocore.exceptions"):
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.delitem(sys.modules, "skill.state.dynamodb", raising=False)
    monkeypatch.setenv("BANDCOACH_STATE", "dynamodb")
    monkeypatch.setenv("BANDCOACH_SECRET", "s" * 32)
    result = runner.invoke(cli, ["progress", "--user", "amzn1.ask.account.X"])
    assert result.exit_code == 1
    assert "needs the aws extra" in result.output and "pip install -e '.[aws]'" in result.output
    assert "Traceback" not in result.output


def test_a_server_that_cannot_start_leaves_the_garbage_collector_running(runner, monkeypatch, tmp_path):
    """serve pauses the collector while it builds the app; a store that fails there must not leave it paused."""
    (tmp_path / "plain-file").write_text("not a directory")
    monkeypatch.setenv("BANDCOACH_DATA_DIR", str(tmp_path / "plain-file" / "data"))
    result = runner.invoke(cli, ["serve", "--local", "--port", "9"])
    assert result.exit_code == 1 and "BANDCOACH_DATA_DIR" in result.output
    assert gc.isenabled()
