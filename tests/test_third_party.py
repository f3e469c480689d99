"""A plugin installed as its own distribution reaches the skill, the model and the CLI; a broken one is skipped."""

from __future__ import annotations

import json

from skill import testing
from skill.catalog import Catalog
from skill.cli import cli
from skill.config import Settings
from skill.model import build_model
from skill.plugins import make_plugin_manager
from skill.web.app import create_app


def all_plugins(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, load_plugins=None)


def test_third_party_routine_is_loaded_from_its_entry_point(third_party, settings):
    third_party("bandcoach_yoga")
    catalog = Catalog.build(make_plugin_manager(all_plugins(settings)))
    assert catalog.routines["yoga"].plugin == "yoga"
    assert catalog.pm.origins["yoga"][0] == "bandcoach-yoga"


def test_third_party_routine_starts_by_its_alias(third_party, settings):
    third_party("bandcoach_yoga")
    client = create_app(all_plugins(settings)).test_client()
    data = client.post("/alexa", json=testing.intent_request("StartRoutineIntent", {"routine": "yoga flow"})).get_json()
    assert data["sessionAttributes"]["position"]["routine"] == "yoga"
    assert "sun salute" in data["response"]["outputSpeech"]["ssml"].lower()


def test_third_party_routine_reaches_the_interaction_model(third_party, settings):
    third_party("bandcoach_yoga")
    model = build_model(Catalog.build(make_plugin_manager(all_plugins(settings))))
    types = {t["name"]: t for t in model["interactionModel"]["languageModel"]["types"]}
    assert "yoga" in {v["id"] for v in types["ROUTINE"]["values"]}
    assert "band_sun_salute" in {v["id"] for v in types["EXERCISE"]["values"]}


def test_third_party_routine_is_listed_by_the_cli(third_party, runner, monkeypatch):
    third_party("bandcoach_yoga")
    monkeypatch.delenv("BANDCOACH_LOAD_PLUGINS")
    routines = json.loads(runner.invoke(cli, ["routines", "--json"]).output)
    assert "yoga" in {r["id"] for r in routines}


def test_the_allowlist_keeps_third_party_plugins_out(third_party, settings):
    third_party("bandcoach_yoga")
    catalog = Catalog.build(make_plugin_manager(settings))  # load_plugins=("bandcoach",)
    assert "yoga" not in catalog.routines


def test_an_empty_allowlist_loads_nothing(settings):
    from dataclasses import replace

    catalog = Catalog.build(make_plugin_manager(replace(settings, load_plugins=())))
    assert catalog.routines == {}


def test_a_plugin_that_fails_to_import_is_skipped_and_listed(third_party, runner, monkeypatch):
    third_party("bandcoach_broken", dist="bandcoach-broken", entry_name="broken")
    monkeypatch.delenv("BANDCOACH_LOAD_PLUGINS")
    result = runner.invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [f["name"] for f in data["failed"]] == ["broken"]
    assert "not installed" in data["failed"][0]["error"]
    assert {"warmup", "desk", "glutes", "recovery", "treadmill"} <= {r for p in data["plugins"] for r in p["routines"]}


def test_the_skill_answers_with_a_broken_plugin_installed(third_party, settings):
    third_party("bandcoach_broken", dist="bandcoach-broken", entry_name="broken")
    client = create_app(all_plugins(settings)).test_client()
    reply = client.post("/alexa", json=testing.launch_request())
    assert reply.status_code == 200
    assert "Welcome" in reply.get_json()["response"]["outputSpeech"]["ssml"]


def test_tracing_logs_every_hook_call(settings, caplog):
    import logging
    from dataclasses import replace

    with caplog.at_level(logging.INFO, logger="skill.plugins"):
        Catalog.build(make_plugin_manager(replace(settings, trace_plugins=True)))
    assert "hook bandcoach_routines -> plugin 'recovery'" in caplog.text


def test_a_wrapper_implementation_is_not_called_as_a_plain_hook(settings):
    from skill import hookimpl

    class Wrapper:
        __name__ = "wrapper"

        @hookimpl(wrapper=True)
        def bandcoach_routines(self):
            yield
            raise AssertionError("a wrapper must not be driven by call_each")

    pm = make_plugin_manager(settings)
    pm.register_plugin(Wrapper(), "wrapper")
    assert set(Catalog.build(pm).routines) == {"warmup", "desk", "glutes", "recovery", "treadmill"}
    assert pm.failures == []
