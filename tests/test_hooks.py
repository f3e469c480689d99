"""Every hook in the contract works for a plugin, and every hook has a test named for it (datasette's meta-test)."""

from __future__ import annotations

import re
from pathlib import Path

from audio.engines import Speech, choose_engine, collect_engines
from skill import hookimpl
from skill.cli import cli
from skill.hookspecs import HOOK_NAMES

TESTS = Path(__file__).parent


def test_every_hook_has_a_test_named_for_it():
    sources = "\n".join(p.read_text() for p in TESTS.glob("test_*.py"))
    missing = [h for h in HOOK_NAMES if not re.search(rf"def test_hook_{h}\w*\(", sources)]
    assert missing == [], f"write a test_hook_<name> test for: {missing}"


def test_hook_bandcoach_tts_engines_a_plugin_engine_is_chosen_by_name(pm, settings):
    from dataclasses import replace

    class Beep:
        name, version, rate, max_workers = "beep", "1.0", "normal", 1

        def available(self):
            return True

        def voice(self, locale):
            return "beep-" + locale

        def synthesize(self, text, locale):
            return Speech(b"RIFF", "wav")

    class BeepPlugin:
        __name__ = "beep"

        @hookimpl
        def bandcoach_tts_engines(self, settings):
            return [Beep()]

    pm.register_plugin(BeepPlugin(), "beep")
    engines = collect_engines(pm, settings)
    assert "beep" in [e.name for e in engines] and "espeak" in [e.name for e in engines]
    assert choose_engine(replace(settings, tts="beep"), engines).name == "beep"


def test_hook_bandcoach_register_commands_adds_a_command_from_an_installed_plugin(third_party, runner, monkeypatch):
    third_party("bandcoach_hello", dist="bandcoach-hello", entry_name="hello")
    monkeypatch.delenv("BANDCOACH_LOAD_PLUGINS")
    result = runner.invoke(cli, ["hello", "Sam"])
    assert result.exit_code == 0, result.output
    assert result.output == "Hello, Sam, from a plugin command.\n"
    assert "hello" in runner.invoke(cli, ["--help"]).output
