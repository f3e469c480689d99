"""docs/conversation.md is what the skill says: the page is `bandcoach docs conversation`'s output, so every
answer pasted there is the skill's answer now, and its `printf ... | bandcoach say --fresh` lines give them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from skill.cli import cli
from skill.cli.docs import SESSIONS

DOC = Path(__file__).parents[1] / "docs" / "conversation.md"
SECTION = re.compile(r"^## (?P<title>.+?)\n(?P<body>.*?)(?=^## |\Z)", re.S | re.M)
SCRIPT = re.compile(r"^printf '(?P<lines>.*)' \| \.venv/bin/bandcoach say --fresh$", re.M)
TURN = re.compile(r"^\*\*You:\*\* (?P<you>.*)\n\n\*\*Alexa:\*\* (?P<alexa>.*)$", re.M)
PAGE = DOC.read_text(encoding="utf-8")


def sections(text: str) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    """(title, the piped lines, the (you, alexa) turns) of every section of `text`."""
    found = []
    for match in SECTION.finditer(text):
        script = SCRIPT.search(match["body"])
        assert script, f"section {match['title']!r} has no printf line"
        lines = script["lines"].split("\\n")[:-1]
        found.append((match["title"], lines, [(t["you"], t["alexa"]) for t in TURN.finditer(match["body"])]))
    return found


@pytest.mark.slow
def test_the_checked_in_page_is_what_the_command_writes(runner: Any) -> None:
    """What CI runs: the command replays every session and compares (the one replay of this module)."""
    result = runner.invoke(cli, ["docs", "conversation", "--check", str(DOC)])
    assert result.exit_code == 0, result.output


def test_checking_a_missing_page_says_how_to_write_it(runner: Any, tmp_path: Path) -> None:
    missing = tmp_path / "conversation.md"
    result = runner.invoke(cli, ["docs", "conversation", "--check", str(missing)])
    assert result.exit_code == 1
    assert f"bandcoach docs conversation > {missing}" in result.output and "Traceback" not in result.output


def test_the_page_has_a_session_of_every_builtin_routine() -> None:
    said = " ".join(alexa for _, _, turns in sections(PAGE) for _, alexa in turns)
    for routine in ("glute strength workout", "post-run stretch", "pre-run warm-up", "desk routine",
                    "treadmill band walk"):
        assert f"Here's your {routine}:" in said, routine


def test_each_printf_line_is_the_turns_that_follow_it() -> None:
    for title, lines, turns in sections(PAGE):
        assert [you for you, _ in turns] == lines, title
    assert [(s.title, list(s.lines)) for s in SESSIONS] == [(title, lines) for title, lines, _ in sections(PAGE)]


def test_piping_a_section_into_say_fresh_gives_its_answers(runner: Any) -> None:
    """The shortest section, through the command a reader copies (the page's other answers come from the
    same in-process conversation)."""
    title, lines, turns = min(sections(PAGE), key=lambda s: len(s[1]))
    result = runner.invoke(cli, ["say", "--fresh"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    answers = [line.split("Alexa: ", 1)[1] for line in result.output.splitlines() if "Alexa: " in line]
    assert answers == [alexa for _, alexa in turns], title
