"""Every hook in the contract works for a plugin, and every hook has a test named for it (datasette's meta-test)."""

from __future__ import annotations

import re
from pathlib import Path

from skill.cli import cli
from skill.hookspecs import HOOK_NAMES

TESTS = Path(__file__).parent


def test_every_hook_has_a_test_named_for_it():
    sources = "\n".join(p.read_text() for p in TESTS.glob("test_*.py"))
    missing = [h for h in HOOK_NAMES if not re.search(rf"def test_hook_{h}\w*\(", sources)]
    assert missing == [], f"write a test_hook_<name> test for: {missing}"


def test_hook_bandcoach_register_commands_adds_a_command_from_an_installed_plugin(third_party, runner, monkeypatch):
    third_party("bandcoach_hello", dist="bandcoach-hello", entry_name="hello")
    monkeypatch.delenv("BANDCOACH_LOAD_PLUGINS")
    result = runner.invoke(cli, ["hello", "Sam"])
    assert result.exit_code == 0, result.output
    assert result.output == "Hello, Sam, from a plugin command.\n"
    assert "hello" in runner.invoke(cli, ["--help"]).output
