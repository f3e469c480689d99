"""The import-layering rules of docs/architecture.md and the target layout, checked by walking every module's AST."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("skill", "audio", "plugins")
FILES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


MODULES = {module_name(p) for p in FILES}
SUBPACKAGES = tuple(f"skill.{p.parent.name}" for p in (ROOT / "skill").glob("*/__init__.py"))
COMPOSITION_ROOTS = ("skill/runtime.py", "skill/lambda_handler.py")


class Import(NamedTuple):
    """One imported module: who imports it (file, dotted module), at which line, and whether only for typing."""

    file: str
    module: str
    line: int
    imported: str
    type_only: bool = False

    def top(self) -> str:
        return self.imported.split(".")[0]

    def reaches(self, *targets: str) -> bool:
        return any(self.imported == t or self.imported.startswith(t + ".") for t in targets)


def _statements(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement under node, anywhere; those in the body of `if TYPE_CHECKING:` are type-only."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, type_only
    elif isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
        for child in node.body:
            yield from _statements(child, True)
        for child in node.orelse:
            yield from _statements(child, type_only)
    else:
        for inner in ast.iter_child_nodes(node):
            yield from _statements(inner, type_only)


def imports_of(path: Path) -> Iterator[Import]:
    """What one file imports, relative imports resolved; `from pkg import name` is pkg.name when that is a module."""
    file, module = path.relative_to(ROOT).as_posix(), module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node, type_only in _statements(ast.parse(path.read_text(encoding="utf-8"), filename=file)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: one level is the file's own package, each further level its parent
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in dict.fromkeys(targets):
            yield Import(file, module, node.lineno, target, type_only)


RECORDS = [record for path in FILES for record in imports_of(path)]


def in_skill_core(file: str) -> bool:
    """A root module of skill/ that is not a composition root: vocabulary, coaching core, plugin contract."""
    return file.startswith("skill/") and file.count("/") == 1 and file not in COMPOSITION_ROOTS


def ask_sdk_outside_handlers(r: Import) -> bool:
    """ask_sdk is imported only under skill/handlers/: turn SDK objects into plain data there"""
    return r.top().startswith("ask_sdk") and not r.file.startswith("skill/handlers/")


def http_outside_web(r: Import) -> bool:
    """flask/werkzeug only under skill/web/ (and skill/testing/conversation.py): keep HTTP in the door"""
    allowed = r.file.startswith("skill/web/") or r.file == "skill/testing/conversation.py"
    return r.top() in {"flask", "werkzeug"} and not allowed


def click_outside_cli(r: Import) -> bool:
    """click only under skill/cli/ (hookspecs.py: under TYPE_CHECKING): move the command there"""
    allowed = r.file.startswith("skill/cli/") or (r.file == "skill/hookspecs.py" and r.type_only)
    return r.top() == "click" and not allowed


def root_module_imports_subpackage(r: Import) -> bool:
    """skill's root modules import no subpackage, only the composition roots do: move the piece to the root"""
    return in_skill_core(r.file) and r.reaches(*SUBPACKAGES)


def audio_imports_skill_subpackage(r: Import) -> bool:
    """audio/ is a library: import only skill's root modules, never handlers, web, cli, state or testing"""
    return r.file.startswith("audio/") and r.reaches(*SUBPACKAGES)


def state_imports_beyond_records(r: Import) -> bool:
    """skill/state/ imports of the project only skill's routines, progression, config, errors: records, not dispatch"""
    allowed = ("skill.routines", "skill.progression", "skill.config", "skill.errors", "skill.state")
    project = r.top() in ("skill", "audio", "plugins")
    return r.file.startswith("skill/state/") and project and not r.reaches(*allowed)


def runtime_imports_a_door(r: Import) -> bool:
    """skill/runtime.py composes the skill for every door and knows none: a door builds its own parts (the verifier)"""
    return r.file == "skill/runtime.py" and r.reaches("skill.web", "skill.cli", "skill.testing")


def handlers_import_a_door_or_audio(r: Import) -> bool:
    """skill/handlers must reach recorded audio through Deps.segments, not import audio (nor web, cli, testing)"""
    return r.file.startswith("skill/handlers/") and r.reaches("skill.web", "skill.cli", "skill.testing", "audio")


def skill_core_imports_audio(r: Import) -> bool:
    """the skill core must not import audio: use the SegmentSource contract in skill/segments.py, wired by runtime.py"""
    return in_skill_core(r.file) and r.top() == "audio"


def violations(rule: Callable[[Import], bool], records: list[Import]) -> list[str]:
    """One line per offending import: file:line, the import, and the rule with its fix (the rule's docstring)."""
    return [f"{r.file}:{r.line} imports {r.imported}: {rule.__doc__}" for r in records if rule(r)]


def _reachable(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def circles(records: list[Import]) -> list[str]:
    """Each strongly connected component of more than one module (modules that reach each other), with one loop."""
    graph: dict[str, set[str]] = {r.module: set() for r in records}
    for r in records:
        if r.imported in graph and r.imported != r.module:
            graph[r.module].add(r.imported)
    reach = {module: _reachable(module, graph) for module in graph}
    components = {frozenset(n for n in reach[m] if m in reach[n]) for m in graph}
    return [_describe(set(c), graph, records) for c in sorted(components, key=sorted) if len(c) > 1]


def _shortest_loop(start: str, graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """Breadth first from start inside its component: the first way back to start is a shortest loop."""
    paths, queue = {start: [start]}, [start]
    for node in queue:
        if start in graph[node]:
            return [*paths[node], start]
        for nxt in sorted(graph[node] & component - set(paths)):
            paths[nxt] = [*paths[node], nxt]
            queue.append(nxt)
    raise AssertionError(f"{start} lies on no loop, so it is in no component of more than one module")


def _describe(component: set[str], graph: dict[str, set[str]], records: list[Import]) -> str:
    """The component's modules and one shortest loop through them, each import with its file:line."""
    loop = _shortest_loop(min(component), graph, component)
    steps = [next(r for r in records if r.module == a and r.imported == b) for a, b in itertools.pairwise(loop)]
    return (
        f"import circle among {len(component)} modules ({', '.join(sorted(component))}); one loop: "
        + "; ".join(f"{r.file}:{r.line} imports {r.imported}" for r in steps)
        + ": break it by moving the shared piece into a lower module both can import"
    )


def test_ask_sdk_is_imported_only_by_handlers() -> None:
    """Rule 1: only skill/handlers/ imports ask_sdk_core / ask_sdk_model (any ask_sdk*)."""
    assert not (found := violations(ask_sdk_outside_handlers, RECORDS)), "\n".join(found)


def test_flask_and_werkzeug_are_imported_only_by_the_web_door() -> None:
    """Rule 2: flask and werkzeug only under skill/web/ and in skill/testing/conversation.py."""
    assert not (found := violations(http_outside_web, RECORDS)), "\n".join(found)


def test_click_is_imported_only_by_the_cli_door() -> None:
    """Rule 3: click only under skill/cli/, plus the TYPE_CHECKING-only import in skill/hookspecs.py."""
    assert not (found := violations(click_outside_cli, RECORDS)), "\n".join(found)


def test_root_modules_import_no_subpackage() -> None:
    """Rule 4: files directly in skill/ import no skill subpackage, except the composition roots."""
    assert not (found := violations(root_module_imports_subpackage, RECORDS)), "\n".join(found)


def test_audio_imports_only_root_modules_of_skill() -> None:
    """Rule 5: audio/ never imports skill.handlers, skill.web, skill.cli, skill.state or skill.testing."""
    assert not (found := violations(audio_imports_skill_subpackage, RECORDS)), "\n".join(found)


def test_state_imports_only_the_records_config_and_errors() -> None:
    """Rule 6: skill/state/ imports from skill only routines, progression, config, errors and skill.state.*."""
    assert not (found := violations(state_imports_beyond_records, RECORDS)), "\n".join(found)


def test_runtime_imports_no_door() -> None:
    """The composition root is shared by the Flask, Lambda and terminal doors, so it imports none of them."""
    assert not (found := violations(runtime_imports_a_door, RECORDS)), "\n".join(found)


def test_handlers_import_no_door_and_no_audio() -> None:
    """Rule 7: skill/handlers/ never imports skill.web, skill.cli, skill.testing or audio."""
    assert not (found := violations(handlers_import_a_door_or_audio, RECORDS)), "\n".join(found)


def test_no_import_circles_between_modules() -> None:
    """Rule 8: the file-level graph of explicit imports (no implicit parent-package edges) has no circle."""
    assert not (found := circles(RECORDS)), "\n".join(found)


def test_no_package_loop_between_skill_and_audio() -> None:
    """Rule 9: two nodes, the skill core (files directly in skill/ but runtime.py and lambda_handler.py) and audio/.

    audio may import the core; the core must not import audio, so no loop can form. The composition roots and the
    doors (skill/web, skill/cli) sit above both and may import audio; handlers and state are held by rules 6 and 7.
    """
    assert not (found := violations(skill_core_imports_audio, RECORDS)), "\n".join(found)


@pytest.mark.parametrize(
    ("rule", "offender"),
    [
        (ask_sdk_outside_handlers, Import("skill/catalog.py", "skill.catalog", 1, "ask_sdk_model.ui")),
        (http_outside_web, Import("skill/handlers/base.py", "skill.handlers.base", 1, "werkzeug.exceptions")),
        (click_outside_cli, Import("skill/hookspecs.py", "skill.hookspecs", 1, "click")),
        (root_module_imports_subpackage, Import("skill/catalog.py", "skill.catalog", 1, "skill.state.model")),
        (audio_imports_skill_subpackage, Import("audio/cache.py", "audio.cache", 1, "skill.web.audio")),
        (state_imports_beyond_records, Import("skill/state/model.py", "skill.state.model", 1, "skill.catalog")),
        (state_imports_beyond_records, Import("skill/state/sqlite.py", "skill.state.sqlite", 1, "audio.files")),
        (runtime_imports_a_door, Import("skill/runtime.py", "skill.runtime", 1, "skill.web.verify")),
        (handlers_import_a_door_or_audio, Import("skill/handlers/voice.py", "skill.handlers.voice", 1, "audio.local")),
        (skill_core_imports_audio, Import("skill/segments.py", "skill.segments", 1, "audio.cache")),
    ],
    ids=lambda value: value.__name__ if callable(value) else value.imported,
)
def test_each_rule_catches_an_offending_import(rule: Callable[[Import], bool], offender: Import) -> None:
    """Each rule reports a fabricated violating import with its file, line, the import and the rule's fix."""
    assert violations(rule, [offender]) == [f"{offender.file}:1 imports {offender.imported}: {rule.__doc__}"]


def test_the_circle_check_catches_a_circle() -> None:
    """A fabricated two-module circle is reported with its modules and both imports, each with file:line."""
    pair = [Import("skill/a.py", "skill.a", 3, "skill.b"), Import("skill/b.py", "skill.b", 4, "skill.a")]
    assert circles(pair) == [
        "import circle among 2 modules (skill.a, skill.b); one loop: skill/a.py:3 imports skill.b; "
        "skill/b.py:4 imports skill.a: break it by moving the shared piece into a lower module both can import"
    ]


def test_imports_under_type_checking_are_recorded_as_type_only() -> None:
    """The walk sees the import in skill/hookspecs.py's `if TYPE_CHECKING:` block and marks it, so rule 3 allows it."""
    (click,) = [r for r in RECORDS if r.file == "skill/hookspecs.py" and r.top() == "click"]
    assert click.type_only and not click_outside_cli(click)
    assert click_outside_cli(click._replace(type_only=False))
