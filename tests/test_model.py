"""The interaction model: built from the plugins, checked in, and caught when it drifts."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.config import LOCALES
from skill.model import CUSTOM_INTENTS, build_model, render, stale_models, write_models

REPO_MODELS = Path(__file__).parent.parent / "interaction_models"


def types_of(model):
    return {t["name"]: t for t in model["interactionModel"]["languageModel"]["types"]}


def test_invocation_name_is_band_coach(catalog):
    assert build_model(catalog)["interactionModel"]["languageModel"]["invocationName"] == "band coach"


@pytest.mark.parametrize("intent", sorted(CUSTOM_INTENTS))
def test_every_custom_intent_has_ten_or_more_samples(catalog, intent):
    intents = {i["name"]: i for i in build_model(catalog)["interactionModel"]["languageModel"]["intents"]}
    assert len(intents[intent]["samples"]) >= 10


def test_routine_type_carries_ids_and_the_plugins_aliases(catalog):
    values = {v["id"]: v for v in types_of(build_model(catalog))["ROUTINE"]["values"]}
    assert set(values) == {"warmup", "desk", "glutes", "recovery", "treadmill"}
    assert "post-run stretch" in [values["recovery"]["name"]["value"], *values["recovery"]["name"]["synonyms"]]
    assert "booty" in values["glutes"]["name"]["synonyms"]


def test_band_type_has_colours_as_synonyms(catalog):
    values = {v["id"]: v for v in types_of(build_model(catalog))["BAND_LEVEL"]["values"]}
    assert set(values) == {"light", "medium", "heavy"}
    assert any(colour in values["heavy"]["name"]["synonyms"] for colour in ("black", "silver"))


def test_exercise_type_comes_from_the_library(catalog):
    ids = {v["id"] for v in types_of(build_model(catalog))["EXERCISE"]["values"]}
    assert ids == set(catalog.exercises)


def test_every_slot_type_is_defined_or_builtin(catalog):
    model = build_model(catalog)["interactionModel"]["languageModel"]
    defined = {t["name"] for t in model["types"]}
    for intent in model["intents"]:
        for s in intent.get("slots", []):
            assert s["type"] in defined or s["type"].startswith("AMAZON.")


def test_samples_are_unique_across_intents(catalog):
    seen = {}
    for intent in build_model(catalog)["interactionModel"]["languageModel"]["intents"]:
        for sample in intent.get("samples", []):
            assert sample not in seen, f"{sample!r} in {seen.get(sample)} and {intent['name']}"
            seen[sample] = intent["name"]


def test_unknown_locale_is_refused(catalog):
    with pytest.raises(ValueError, match="de-DE"):
        build_model(catalog, "de-DE")


def test_checked_in_models_are_up_to_date(catalog):
    assert stale_models(catalog, REPO_MODELS) == []


def test_drift_is_detected(catalog, tmp_path):
    write_models(catalog, tmp_path)
    (tmp_path / "en-GB.json").write_text(render({"interactionModel": {}}))
    assert stale_models(catalog, tmp_path) == ["en-GB"]


def test_models_exist_for_every_locale(catalog, tmp_path):
    written = write_models(catalog, tmp_path)
    assert [p.stem for p in written] == list(LOCALES)
