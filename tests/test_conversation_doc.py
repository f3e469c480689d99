"""docs/conversation.md is what the skill says: each section's lines, replayed through `bandcoach say` as a
new runner, give exactly the answers pasted there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from skill.cli import cli

DOC = Path(__file__).parents[1] / "docs" / "conversation.md"
SECTION = re.compile(r"^## (?P<title>.+?)\n(?P<body>.*?)(?=^## |\Z)", re.S | re.M)
SCRIPT = re.compile(r"^printf '(?P<lines>.*)' \| \.venv/bin/bandcoach say$", re.M)
TURN = re.compile(r"^\*\*You:\*\* (?P<you>.*)\n\n\*\*Alexa:\*\* (?P<alexa>.*)$", re.M)


def sections() -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    """(title, the piped lines, the (you, alexa) turns) of every section."""
    found = []
    for match in SECTION.finditer(DOC.read_text(encoding="utf-8")):
        script = SCRIPT.search(match["body"])
        assert script, f"section {match['title']!r} has no printf line"
        lines = script["lines"].split("\\n")[:-1]
        found.append((match["title"], lines, [(t["you"], t["alexa"]) for t in TURN.finditer(match["body"])]))
    return found


SECTIONS = sections()


def test_the_doc_has_a_session_of_every_builtin_routine() -> None:
    said = " ".join(alexa for _, _, turns in SECTIONS for _, alexa in turns)
    for routine in ("glute strength workout", "post-run stretch", "pre-run warm-up", "desk routine",
                    "treadmill band walk"):
        assert f"Here's your {routine}:" in said, routine


@pytest.mark.parametrize(("title", "lines", "turns"), SECTIONS, ids=[s[0] for s in SECTIONS])
def test_each_pasted_session_is_what_the_skill_says_now(
    runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, title: str, lines: list[str],
    turns: list[tuple[str, str]],
) -> None:
    monkeypatch.setenv("BANDCOACH_DATA_DIR", str(tmp_path))  # a new runner, as the doc says
    assert [you for you, _ in turns] == lines, "the pasted turns follow the printf line"
    result = runner.invoke(cli, ["say"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    answers = [line.split("Alexa: ", 1)[1] for line in result.output.splitlines() if "Alexa: " in line]
    for (you, pasted), now in zip(turns, answers, strict=True):
        assert now == pasted, f"{title}: the answer to {you!r} is now:\n{now}"
