"""Meta-tests that keep docs/plugins.md true to the hook contract, the entry points and the cue kinds."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from support.builtin_catalog import ROUTINE_IDS, builtin_catalog

from skill.hookspecs import HOOK_NAMES
from skill.routines import Variant

ROOT = Path(__file__).resolve().parent.parent
PLUGINS_DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_plugin_hooks_are_documented(hook: str) -> None:
    assert re.search(rf"^### {hook}\(", PLUGINS_DOC, flags=re.M), f"docs/plugins.md has no '### {hook}(' section"


def test_every_hook_section_documents_a_real_hook() -> None:
    documented = set(re.findall(r"^### (bandcoach_\w+)\(", PLUGINS_DOC, flags=re.M))
    assert documented == set(HOOK_NAMES)


def test_plugins_doc_lists_every_builtin_entry_point() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for name, target in pyproject["project"]["entry-points"]["bandcoach"].items():
        assert re.search(rf'^{name} = "{re.escape(target)}"', PLUGINS_DOC, flags=re.M), name


def test_plugins_doc_explains_the_allowlist_variable() -> None:
    assert "BANDCOACH_LOAD_PLUGINS" in PLUGINS_DOC and "[project.entry-points.bandcoach]" in PLUGINS_DOC


def test_plugins_doc_lists_every_cue_kind_the_timeline_produces() -> None:
    catalog = builtin_catalog()
    produced = {c.kind for r in ROUTINE_IDS for v in Variant for c in catalog.timeline(r, variant=v).cues()}
    documented = set(re.findall(r"^\| `(\w+)`", PLUGINS_DOC, flags=re.M))
    assert produced <= documented


def test_plugins_doc_python_examples_are_valid_python() -> None:
    for block in re.findall(r"```python\n(.*?)```", PLUGINS_DOC, flags=re.S):
        ast.parse(block)


def test_plugins_doc_imports_the_whole_public_api_in_one_line() -> None:
    """The one import line docs/plugins.md shows is exactly what `skill` exports to plugin authors."""
    import skill

    (line,) = [ln for ln in PLUGINS_DOC.splitlines() if ln.startswith("from skill import BandCoachError")]
    shown = [name.strip() for name in line.removeprefix("from skill import ").split(",")]
    assert sorted(shown) == sorted(skill.__all__)
