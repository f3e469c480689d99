"""Compact sample templates -> every sample utterance they stand for: choices, options and shared fragments.

A template is ordinary words plus three marks: `(a|b|)` picks one alternative (an empty one
makes the group optional), `[words]` is short for `(words|)`, and `<name>` stands for a shared
fragment, itself a template. `{slot}` markers pass through untouched. So one line such as
`<polite>(start|begin) [the] {routine} [please]` reviews as one thought and expands to every
phrasing Alexa needs as a sample.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_FRAGMENT = re.compile(r"<(\w+)>")
MAX_EXPANSION = 20_000  # samples one template may stand for; more means a template that is too loose


class GrammarError(ValueError):
    """A template that cannot be expanded: unbalanced marks, an unknown fragment, or too many samples."""


def expand(template: str, fragments: Mapping[str, str] | None = None) -> list[str]:
    """Every sample `template` stands for, whitespace folded, duplicates dropped, in template order."""
    text = _inline(template, fragments or {}, ())
    seen: dict[str, None] = {}
    for sample in _alternatives(text, template):
        folded = " ".join(sample.split())
        if folded:
            seen.setdefault(folded, None)
    return list(seen)


def expand_all(templates: Iterable[str], fragments: Mapping[str, str] | None = None) -> list[str]:
    """The samples of several templates, in order, each once."""
    seen: dict[str, None] = {}
    for template in templates:
        for sample in expand(template, fragments):
            seen.setdefault(sample, None)
    return list(seen)


def _inline(template: str, fragments: Mapping[str, str], using: tuple[str, ...]) -> str:
    """`template` with every `<name>` replaced by its fragment in parentheses, recursively."""
    def fragment(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in using:
            raise GrammarError(f"fragment <{name}> refers to itself (through {' -> '.join(using)})")
        if name not in fragments:
            raise GrammarError(f"unknown fragment <{name}> in {template!r}: define it or fix the name")
        return "(" + _inline(fragments[name], fragments, (*using, name)) + ")"

    return _FRAGMENT.sub(fragment, template.replace("[", "(").replace("]", "|)"))


def _alternatives(text: str, template: str) -> list[str]:
    """The expansions of `text`: a sequence of words and (a|b) groups, multiplied out."""
    results = [""]
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "(":
            end = _closing(text, pos, template)
            options: list[str] = []
            for part in _split_top(text[pos + 1:end]):
                options.extend(_alternatives(part, template))
            results = [done + option for done in results for option in options]
            pos = end + 1
        elif char in ")|":
            raise GrammarError(f"unbalanced {char!r} in template {template!r}")
        else:
            nxt = min((i for i in (text.find("(", pos), text.find(")", pos), text.find("|", pos)) if i != -1),
                      default=len(text))
            results = [done + text[pos:nxt] for done in results]
            pos = nxt
        if len(results) > MAX_EXPANSION:
            raise GrammarError(f"template {template!r} stands for more than {MAX_EXPANSION} samples: split it")
    return results


def _closing(text: str, start: int, template: str) -> int:
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise GrammarError(f"unclosed '(' or '[' in template {template!r}")


def _split_top(inner: str) -> list[str]:
    """`a|b(c|d)|` -> ["a", "b(c|d)", ""]: split on the bars that are not inside a nested group."""
    parts, depth, last = [], 0, 0
    for index, char in enumerate(inner):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(inner[last:index])
            last = index + 1
    parts.append(inner[last:])
    return parts
