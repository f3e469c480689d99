"""The interaction model: built from the plugins, checked in, and caught when it drifts."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.config import LOCALES
from skill.model import (
    CUSTOM_INTENTS,
    MODEL_FOLDERS,
    build_model,
    project_root,
    render,
    stale_models,
    stale_project_models,
    write_models,
)
from skill.model_limits import CONNECTING_WORDS, IN_SESSION_INTENTS
from skill.testing.utterances import UtteranceResolver

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


def test_the_skill_package_models_are_the_same_models(catalog):
    """skill-package/interactionModels/custom/ (what `ask deploy` uploads) holds what interaction_models/ holds."""
    assert stale_project_models(catalog, project_root()) == []
    for locale in LOCALES:
        assert (project_root() / MODEL_FOLDERS[1] / f"{locale}.json").read_bytes() == \
            (REPO_MODELS / f"{locale}.json").read_bytes()


@pytest.mark.parametrize("locale", LOCALES)
def test_no_one_shot_sample_starts_with_a_connecting_word(catalog, locale):
    for intent in build_model(catalog, locale)["interactionModel"]["languageModel"]["intents"]:
        if intent["name"] in IN_SESSION_INTENTS:
            continue
        starting = [s for s in intent.get("samples", []) if s.split(" ", 1)[0] in CONNECTING_WORDS]
        assert starting == [], intent["name"]


@pytest.mark.parametrize(("said", "slots"), [
    ("ask band coach for a 15 minute glutes", {"routine": "glutes", "minutes": "15"}),
    ("ask band coach for a fifteen minute glutes workout", {"routine": "glutes", "minutes": "15"}),
    ("ask band coach to give me something for my hips", {"focus": "hips"}),
    ("ask band coach about my progress", {}),
])
def test_a_one_shot_through_a_connecting_word_reaches_the_request(catalog, said, slots):
    found = UtteranceResolver(build_model(catalog)).resolve(said)
    assert found.launched and found.intent in {"StartRoutineIntent", "ProgressIntent"}
    assert {name: s.resolved_id or s.value for name, s in found.slots.items()} == slots


@pytest.mark.parametrize(("said", "intent"), [
    ("that hurts", "PainIntent"), ("that was hard", "FeedbackIntent"), ("that is way too easy", "HarderIntent"),
    ("that's enough for today", "FinishWorkoutIntent"),
])
def test_in_session_phrases_may_start_with_that(catalog, said, intent):
    assert UtteranceResolver(build_model(catalog)).resolve(said).intent == intent


def test_drift_is_detected(catalog, tmp_path):
    write_models(catalog, tmp_path)
    (tmp_path / "en-GB.json").write_text(render({"interactionModel": {}}))
    assert stale_models(catalog, tmp_path) == ["en-GB"]


def test_models_exist_for_every_locale(catalog, tmp_path):
    written = write_models(catalog, tmp_path)
    assert [p.stem for p in written] == list(LOCALES)
