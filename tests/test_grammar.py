"""Sample templates expand to exactly the samples they stand for, and a broken template is refused with why."""

from __future__ import annotations

import pytest

from skill.grammar import MAX_EXPANSION, GrammarError, expand, expand_all


def test_choices_multiply_out_in_order() -> None:
    assert expand("(start|begin) the (warm up|stretch)") == [
        "start the warm up", "start the stretch", "begin the warm up", "begin the stretch"]


def test_an_option_is_a_choice_with_nothing() -> None:
    assert expand("start [the] {routine} [please]") == [
        "start the {routine} please", "start the {routine}", "start {routine} please", "start {routine}"]


def test_fragments_are_templates_too_and_nest() -> None:
    fragments = {"polite": "(please|can you)", "ask": "<polite> (start|do)"}
    assert expand("<ask> it", fragments) == ["please start it", "please do it", "can you start it", "can you do it"]


def test_spaces_fold_and_duplicates_go() -> None:
    assert expand("(a|a) [ ]  b") == ["a b"]


def test_expand_all_keeps_each_sample_once_across_templates() -> None:
    assert expand_all(["(a|b)", "(b|c)"]) == ["a", "b", "c"]


@pytest.mark.parametrize(("template", "why"), [
    ("start (the {routine}", "unclosed"),
    ("start the] {routine}", "unbalanced"),
    ("<nope> {routine}", "unknown fragment <nope>"),
])
def test_a_broken_template_is_refused_with_the_reason(template: str, why: str) -> None:
    with pytest.raises(GrammarError, match=why):
        expand(template)


def test_a_fragment_that_refers_to_itself_is_refused() -> None:
    with pytest.raises(GrammarError, match="refers to itself"):
        expand("<a>", {"a": "x <b>", "b": "<a>"})


def test_a_template_that_stands_for_too_many_samples_is_refused() -> None:
    ten = "(" + "|".join("abcdefghij") + ")"
    with pytest.raises(GrammarError, match=str(MAX_EXPANSION)):
        expand(" ".join([ten] * 5))
