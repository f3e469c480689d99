"""Every SSML string the skill can produce passes ssml-check (Amazon platform), a checker we did not write."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from support.alexa_checks import check_ssml
from support.e2e_node import run_node_json
from support.ssml_corpus import Sample, argument_sets, corpus, prompt_functions, prompt_samples, write_corpus

from skill import prompts
from skill.catalog import Catalog
from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.routines import BandLevel, Variant
from skill.web.app import create_app


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, Catalog]:
    """One app for the module (the corpus takes thousands of requests): verification off, built-ins only."""
    home = tmp_path_factory.mktemp("ssml")
    settings = Settings(verify=False, load_plugins=("bandcoach",), data_dir=home / "data",
                        cache_dir=home / "cache", tts="espeak")
    pm = make_plugin_manager(settings)
    return create_app(settings, pm=pm), Catalog.build(pm)


@pytest.fixture(scope="module")
def samples(built: tuple[Flask, Catalog]) -> list[Sample]:
    logging.disable(logging.WARNING)  # thousands of requests; their log lines are noise here
    try:
        return corpus(*built)
    finally:
        logging.disable(logging.NOTSET)


def test_corpus_covers_every_prompt(built: tuple[Flask, Catalog]) -> None:
    wheres = " | ".join(s.where for s in prompt_samples(built[1]))
    for name in prompt_functions():
        assert f"prompts.{name}(" in wheres, f"prompt {name} was not rendered"


def test_corpus_covers_every_block_of_every_variant(samples: list[Sample], built: tuple[Flask, Catalog]) -> None:
    wheres = " | ".join(s.where for s in samples)
    for routine in built[1].routines.values():
        last = len(built[1].timeline(routine.id, band=BandLevel.HEAVY, variant=Variant.LONG).blocks)
        # Any band: an exercise is never coached above its own band, so several levels can say the same words
        # (the corpus keeps one sample of each).
        assert any(f"en-IN {routine.id} {band.value} long block {last} +2 sets" in wheres for band in BandLevel)


def test_every_prompt_function_gets_arguments(catalog: Catalog) -> None:
    for name, fn in prompt_functions().items():
        assert argument_sets(fn, catalog), name
    assert "welcome" in prompt_functions() and prompts.welcome.__module__ == "skill.prompts"


def test_every_ssml_string_keeps_alexa_limits(samples: list[Sample]) -> None:
    for sample in samples:
        try:
            check_ssml(sample.ssml)
        except AssertionError as exc:
            pytest.fail(f"{sample.where}: {exc}\n{sample.ssml[:500]}", pytrace=False)


@pytest.mark.e2e
def test_every_ssml_string_passes_ssml_check(samples: list[Sample], tmp_path) -> None:
    report = run_node_json("ssml_check.js", str(write_corpus(samples, tmp_path / "ssml.json")))
    assert report["checked"] == len(samples)
    failures = report["failures"]
    shown = "\n".join(f"{f['where']} [{f['locale']}]: {json.dumps(f['errors'])}\n  {f['ssml'][:300]}"
                      for f in failures[:10])
    assert not failures, f"{len(failures)} SSML string(s) fail ssml-check:\n{shown}"


def test_ssml_check_catches_a_bad_string(tmp_path) -> None:
    """The checker is live: a raw ampersand and an over-long break are reported."""
    bad = [Sample("bad", "en-US", "<speak>R&B<break time=\"11s\"/></speak>")]
    report = run_node_json("ssml_check.js", str(write_corpus(bad, tmp_path / "bad.json")))
    kinds = {e.get("type") for e in report["failures"][0]["errors"]}
    assert "Invalid & character" in kinds
