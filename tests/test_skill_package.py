"""The skill package: the ASK CLI's layout, every locale published, icons, privacy answers, the endpoint
set by a command, CanFulfill declared and answered, and `package check` naming what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from skill import testing
from skill.cli import cli
from skill.config import LOCALES
from skill.model import project_root

ROOT = project_root()
MANIFEST = json.loads((ROOT / "skill-package" / "skill.json").read_text(encoding="utf-8"))["manifest"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's skill package and ask-resources.json to change."""
    shutil.copytree(ROOT / "skill-package", tmp_path / "skill-package")
    shutil.copy(ROOT / "ask-resources.json", tmp_path / "ask-resources.json")
    shutil.copytree(ROOT / "interaction_models", tmp_path / "interaction_models")
    return tmp_path


def manifest_of(project: Path) -> dict[str, Any]:
    return json.loads((project / "skill-package" / "skill.json").read_text(encoding="utf-8"))["manifest"]


def test_the_checked_in_package_passes_the_check(runner: Any) -> None:
    result = runner.invoke(cli, ["package", "check"])
    assert result.exit_code == 0, result.output


def test_every_locale_is_published_with_words_and_three_examples() -> None:
    locales = MANIFEST["publishingInformation"]["locales"]
    assert sorted(locales) == sorted(LOCALES)
    for info in locales.values():
        assert info["name"] == "Band Coach" and info["summary"] and info["description"]
        assert 1 <= len(info["examplePhrases"]) <= 3
        assert info["examplePhrases"][0] == "Alexa, open band coach"


def test_the_icons_are_pngs_at_alexas_sizes_where_the_manifest_points() -> None:
    for info in MANIFEST["publishingInformation"]["locales"].values():
        for key, size in (("smallIconUri", 108), ("largeIconUri", 512)):
            assert info[key].startswith("file://assets/images/")
            with Image.open(ROOT / "skill-package" / info[key].removeprefix("file://")) as icon:
                assert (icon.format, icon.size) == ("PNG", (size, size))


def test_privacy_questions_are_all_answered() -> None:
    privacy = MANIFEST["privacyAndCompliance"]
    assert privacy == {"allowsPurchases": False, "usesPersonalInfo": False, "isChildDirected": False,
                       "isExportCompliant": True, "containsAds": False}


def test_ask_resources_point_at_the_skill_package() -> None:
    resources = json.loads((ROOT / "ask-resources.json").read_text(encoding="utf-8"))
    assert resources["profiles"]["default"]["skillMetadata"]["src"] == "./skill-package"


def test_can_fulfill_is_declared_and_answered_for_a_one_shot_request(post: Any) -> None:
    assert {"type": "CAN_FULFILL_INTENT_REQUEST"} in MANIFEST["apis"]["custom"]["interfaces"]
    env = testing.envelope({"type": "CanFulfillIntentRequest", "intent": {"name": "StartRoutineIntent", "slots": {
        "routine": {"name": "routine", "value": "glutes"}, "minutes": {"name": "minutes", "value": "15"}}}})
    response = post(env).get_json()["response"]
    assert response["canFulfillIntent"]["canFulfill"] == "YES"


@pytest.mark.parametrize(("uri", "entry"), [
    ("https://coach.example.com/alexa", {"uri": "https://coach.example.com/alexa", "sslCertificateType": "Trusted"}),
    ("arn:aws:lambda:eu-west-1:123456789012:function:bandcoach-prod-skill",
     {"uri": "arn:aws:lambda:eu-west-1:123456789012:function:bandcoach-prod-skill"}),
])
def test_build_writes_the_endpoint_into_the_manifest(runner: Any, project: Path, uri: str,
                                                     entry: dict[str, str]) -> None:
    result = runner.invoke(cli, ["package", "build", "--dir", str(project), "--endpoint", uri])
    assert result.exit_code == 0, result.output
    assert uri in result.output
    assert manifest_of(project)["apis"]["custom"]["endpoint"] == entry
    assert runner.invoke(cli, ["package", "check", "--dir", str(project)]).exit_code == 0


def test_an_endpoint_alexa_cannot_call_is_refused_before_anything_is_written(runner: Any, project: Path) -> None:
    before = (project / "skill-package" / "skill.json").read_bytes()
    result = runner.invoke(cli, ["package", "build", "--dir", str(project), "--endpoint", "http://coach.example.com"])
    assert result.exit_code == 2
    assert "https:// URL on port 443" in result.output and "Traceback" not in result.output
    assert (project / "skill-package" / "skill.json").read_bytes() == before


def test_build_makes_the_icons_and_both_model_folders(runner: Any, tmp_path: Path, project: Path) -> None:
    shutil.rmtree(project / "skill-package" / "assets")
    shutil.rmtree(project / "skill-package" / "interactionModels")
    assert runner.invoke(cli, ["package", "build", "--dir", str(project)]).exit_code == 0
    assert (project / "skill-package/assets/images/large-icon-512.png").is_file()
    assert sorted(p.stem for p in (project / "skill-package/interactionModels/custom").iterdir()) == sorted(LOCALES)


def test_check_names_a_missing_locale_and_an_example_the_model_cannot_say(runner: Any, project: Path) -> None:
    path = project / "skill-package" / "skill.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    locales = doc["manifest"]["publishingInformation"]["locales"]
    del locales["en-IN"]
    locales["en-GB"]["examplePhrases"][1] = "Alexa, ask band coach for a yoga flow"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(cli, ["package", "check", "--dir", str(project)])
    assert result.exit_code == 1
    assert "lacks en-IN" in result.output
    assert "en-GB example 'Alexa, ask band coach for a yoga flow'" in result.output


def test_check_names_a_missing_interface_and_an_unanswered_privacy_question(runner: Any, project: Path) -> None:
    path = project / "skill-package" / "skill.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["manifest"]["apis"]["custom"]["interfaces"] = [{"type": "AUDIO_PLAYER"}]
    del doc["manifest"]["privacyAndCompliance"]["usesPersonalInfo"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(cli, ["package", "check", "--dir", str(project)])
    assert result.exit_code == 1
    assert "lacks CAN_FULFILL_INTENT_REQUEST" in result.output and "usesPersonalInfo" in result.output
