"""serverless.yml: its structure agrees with the code, and Serverless v3 packages it offline as expected."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from support.e2e_node import in_ci
from support.serverless_config import load_config

from skill.config import Settings
from skill.playback import segment_url
from skill.testing import DEFAULT_APP_ID

ROOT = Path(__file__).resolve().parents[1]
SERVERLESS = ROOT / "tests" / "deploy" / "node_modules" / ".bin" / "serverless"
SKILL_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
STATE_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}
AUDIO_ACTIONS = {"s3:GetObject", "s3:PutObject"}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return load_config()


def _statements(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config["provider"]["iam"]["role"]["statements"]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def test_handler_is_the_lambda_entry_point_and_importable(config: dict[str, Any]) -> None:
    path, _, name = config["functions"]["skill"]["handler"].rpartition(".")
    module = importlib.import_module(path.replace("/", "."))
    assert module.__name__ == "skill.lambda_handler" and callable(getattr(module, name))


def test_runtime_is_python_3_12(config: dict[str, Any]) -> None:
    assert config["provider"]["runtime"] == "python3.12"


def test_alexa_invokes_the_function_for_the_skill_id_parameter(config: dict[str, Any]) -> None:
    assert config["functions"]["skill"]["events"] == [{"alexaSkill": "${param:skillId}"}]
    assert config["provider"]["environment"]["BANDCOACH_SKILL_ID"] == "${param:skillId}"


def test_environment_names_only_real_settings_and_parses_as_deployed(config: dict[str, Any]) -> None:
    env = config["provider"]["environment"]
    assert set(env) <= {f.metadata["env"] for f in fields(Settings)}
    params = config["params"]["default"]
    resolved = {k: re.sub(r"\$\{param:(\w+)\}", lambda m: params[m.group(1)], v) if isinstance(v, str) else "x"
                for k, v in env.items()}
    resolved.update(BANDCOACH_PUBLIC_URL="https://bucket.s3.us-east-1.amazonaws.com",
                    BANDCOACH_SKILL_ID=DEFAULT_APP_ID)
    settings = Settings.from_env(resolved)
    assert (settings.state, settings.audio_store, settings.load_plugins) == ("dynamodb", "s3", ("bandcoach",))
    assert env["BANDCOACH_DYNAMODB_TABLE"] == {"Ref": "StateTable"}
    assert env["BANDCOACH_S3_BUCKET"] == {"Ref": "AudioBucket"}
    assert env["BANDCOACH_SECRET"] == "{{resolve:ssm:${param:secretParameter}}}"


def test_state_table_has_the_key_schema_the_store_writes(config: dict[str, Any]) -> None:
    table = config["resources"]["Resources"]["StateTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "user", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "user", "AttributeType": "S"}]


def test_iam_is_scoped_to_the_table_and_the_audio_prefix(config: dict[str, Any]) -> None:
    by_resource = {json.dumps(s["Resource"], sort_keys=True): s for s in _statements(config)}
    assert set(by_resource) == {json.dumps({"Fn::GetAtt": ["StateTable", "Arn"]}),
                                json.dumps({"Fn::Sub": "${AudioBucket.Arn}/audio/*"})}
    assert all(s["Effect"] == "Allow" and "*" not in json.dumps(_actions(s), default=list)
               for s in _statements(config))
    assert _actions(by_resource[json.dumps({"Fn::GetAtt": ["StateTable", "Arn"]})]) == STATE_ACTIONS
    assert _actions(by_resource[json.dumps({"Fn::Sub": "${AudioBucket.Arn}/audio/*"})]) == AUDIO_ACTIONS


def test_only_the_audio_prefix_is_public_and_matches_the_urls_the_skill_builds(config: dict[str, Any]) -> None:
    policy = config["resources"]["Resources"]["AudioBucketPolicy"]["Properties"]["PolicyDocument"]
    public = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert public == [{"Sid": "AlexaFetchesPromptsOverHttps", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${AudioBucket.Arn}/audio/*"}}]
    url = segment_url("https://bucket.s3.us-east-1.amazonaws.com", "a" * 64)
    assert url == f"https://bucket.s3.us-east-1.amazonaws.com/audio/{'a' * 64}.mp3"


# --- `serverless package`, offline ------------------------------------------------------------


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Path]]:
    """Build the artifact (Band Coach alone) and run `serverless package` once; yields the template and zip."""
    if not SERVERLESS.exists():
        if in_ci():
            pytest.fail("tests/deploy/node_modules is missing in CI: .ci/install must run npm ci --prefix tests/deploy")
        pytest.skip("Serverless is not installed: npm ci --prefix tests/deploy")
    work = tmp_path_factory.mktemp("serverless")
    subprocess.run([str(ROOT / "deploy" / "build-lambda"), "--no-deps", "--out", str(work / "build")], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    service = work / "service"
    service.mkdir()
    shutil.copy(ROOT / "serverless.yml", service)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BANDCOACH_"))}
    env.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y", SLS_TELEMETRY_DISABLED="1",
               SLS_NOTIFICATIONS_MODE="off", HOME=str(work))
    artifact = work / "build" / "lambda.zip"
    result = subprocess.run([str(SERVERLESS), "package", "--package", str(work / "out"), "--param",
                             f"skillId={SKILL_ID}", "--param", f"artifact={artifact}"],
                            cwd=service, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    yield json.loads((work / "out" / "cloudformation-template-update-stack.json").read_text()), artifact


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_package_has_the_function_with_its_handler_and_environment(packaged) -> None:
    template, _ = packaged
    [function] = _of_type(template, "AWS::Lambda::Function").values()
    props = function["Properties"]
    assert (props["Handler"], props["Runtime"]) == ("skill/lambda_handler.handler", "python3.12")
    env = props["Environment"]["Variables"]
    assert env["BANDCOACH_STATE"] == "dynamodb" and env["BANDCOACH_SKILL_ID"] == SKILL_ID
    assert env["BANDCOACH_PUBLIC_URL"] == {"Fn::Sub": "https://${AudioBucket.RegionalDomainName}"}


def test_package_lets_only_alexa_invoke_for_the_skill_id(packaged) -> None:
    template, _ = packaged
    [permission] = _of_type(template, "AWS::Lambda::Permission").values()
    props = permission["Properties"]
    assert props["Principal"] == "alexa-appkit.amazon.com"
    assert props["Action"] == "lambda:InvokeFunction"
    assert props["EventSourceToken"] == SKILL_ID


def test_package_has_the_table_and_the_audio_bucket(packaged) -> None:
    template, _ = packaged
    assert "StateTable" in _of_type(template, "AWS::DynamoDB::Table")
    assert {"AudioBucket", "ServerlessDeploymentBucket"} == set(_of_type(template, "AWS::S3::Bucket"))
    assert "AudioBucketPolicy" in _of_type(template, "AWS::S3::BucketPolicy")


def test_package_role_grants_exactly_the_state_and_audio_statements(packaged) -> None:
    template, _ = packaged
    [role] = _of_type(template, "AWS::IAM::Role").values()
    statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    ours = [s for s in statements if not any(a.startswith("logs:") for a in _actions(s))]
    assert sorted(map(_actions, ours), key=sorted) == sorted([STATE_ACTIONS, AUDIO_ACTIONS], key=sorted)
    assert [s["Resource"] for s in ours] == [{"Fn::GetAtt": ["StateTable", "Arn"]},
                                             {"Fn::Sub": "${AudioBucket.Arn}/audio/*"}]


def test_artifact_is_the_installed_distribution_with_its_entry_points(packaged) -> None:
    _, artifact = packaged
    with zipfile.ZipFile(artifact) as archive:
        names = archive.namelist()
        [entry_points] = [n for n in names if re.fullmatch(r"bandcoach-[^/]+\.dist-info/entry_points\.txt", n)]
        text = archive.read(entry_points).decode()
    assert "[bandcoach]" in text and "warmup = plugins.warmup" in text
    assert {"skill/lambda_handler.py", "skill/runtime.py", "plugins/data/warmup.toml"} <= set(names)
    assert not [n for n in names if n.split("/")[0] in {"tests", "docs", "bench", "node_modules", ".venv", "bin"}
                or ("__pycache__" in n and not n.endswith((".cpython-312.pyc", "__pycache__/")))]


def test_without_a_python_312_the_build_says_it_ships_no_bytecode(tmp_path: Path) -> None:
    """Lambda cannot write bytecode at cold start: a package without it compiles on every one."""
    env = {**os.environ, "LAMBDA_PYTHON": "/bin/false"}
    result = subprocess.run([str(ROOT / "deploy" / "build-lambda"), "--no-deps", "--out", str(tmp_path)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "no Python 3.12 found (set LAMBDA_PYTHON" in result.stderr
    with zipfile.ZipFile(tmp_path / "lambda.zip") as archive:
        assert not [n for n in archive.namelist() if n.endswith(".pyc")]
