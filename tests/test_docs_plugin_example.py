"""The example plugin of docs/plugins.md, built from the page's own code blocks, passes the page's test and the
conversation of docs/testing.md: the two pages agree with each other and with the skill.

The plugin is installed the way pip would leave it, without pip or network: its module and a dist-info
folder whose entry points are read from the page's pyproject.toml, on sys.path.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parents[1] / "docs"
PLUGINS_DOC = (DOCS / "plugins.md").read_text(encoding="utf-8")
TESTING_DOC = (DOCS / "testing.md").read_text(encoding="utf-8")


def block(doc: str, language: str, containing: str) -> str:
    """The one fenced `language` block of `doc` that contains `containing`."""
    (found,) = [b for b in re.findall(rf"```{language}\n(.*?)```", doc, flags=re.S) if containing in b]
    return str(found)


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """bandcoach-yoga from docs/plugins.md, importable and listed in the `bandcoach` entry-point group."""
    project = tomllib.loads(block(PLUGINS_DOC, "toml", 'name = "bandcoach-yoga"'))["project"]
    site = tmp_path / "site"
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (site / "bandcoach_yoga.py").write_text(block(PLUGINS_DOC, "python", "# bandcoach_yoga.py"), encoding="utf-8")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    entries = "".join(f"{name} = {target}\n" for name, target in project["entry-points"]["bandcoach"].items())
    (info / "entry_points.txt").write_text(f"[bandcoach]\n{entries}")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "bandcoach_yoga", raising=False)
    return project


def test_the_plugin_declares_no_dependency_pip_cannot_find(installed: dict[str, object]) -> None:
    assert "bandcoach" not in installed.get("dependencies", [])


@pytest.mark.slow
def test_the_docs_test_and_conversation_pass_against_the_docs_plugin(
    installed: dict[str, object], pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".ini", pytest=block(TESTING_DOC, "ini", "bandcoach_load_plugins"))
    pytester.makepyfile(test_yoga=block(PLUGINS_DOC, "python", "def test_yoga_routine_is_offered"))
    conversation = block(TESTING_DOC, "yaml", "position.routine: yoga")
    (pytester.path / "conversations").mkdir()
    (pytester.path / "conversations" / "yoga.yaml").write_text(conversation, encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.mark.slow
def test_the_conversation_fails_when_the_plugin_is_not_allowed(
    installed: dict[str, object], pytester: pytest.Pytester,
) -> None:
    """The check can fail: without the plugin's distribution in the allowlist, the routine is unknown."""
    pytester.makefile(".ini", pytest="[pytest]\nbandcoach_load_plugins = bandcoach\n")
    (pytester.path / "conversations").mkdir()
    (pytester.path / "conversations" / "yoga.yaml").write_text(
        block(TESTING_DOC, "yaml", "position.routine: yoga"), encoding="utf-8")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(failed=1)
