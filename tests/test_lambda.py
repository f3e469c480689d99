"""The Lambda entry point: direct Alexa invocations, DynamoDB state on a local stand-in, import isolation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.alexa_checks import check_response
from support.dynamo_standin import dynamo_endpoint, dynamo_store  # noqa: F401  (a fixture)

from skill import lambda_handler, testing
from skill.config import Settings
from skill.runtime import Runtime
from skill.state.dynamodb import DynamoDBStore
from skill.web.verify import VerificationError

ROOT = Path(__file__).resolve().parents[1]
SECRET = "lambda-test-secret"
RUNNER = "amzn1.ask.account.LAMBDA-RUNNER"
HEAVY = ("flask", "werkzeug", "audio", "numpy", "miniaudio", "lameenc")


@pytest.fixture
def table(dynamo_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> DynamoDBStore:  # noqa: F811
    """A created table on the stand-in, as the deployed stack provides it (the Lambda never creates it)."""
    return dynamo_store(dynamo_endpoint, monkeypatch, secret=SECRET.encode())


@pytest.fixture
def runtime(table: DynamoDBStore, dynamo_endpoint: str, tmp_path: Path) -> Runtime:  # noqa: F811
    """The Lambda's runtime configured as serverless.yml deploys it, against the stand-in."""
    settings = Settings(state="dynamodb", dynamodb_table=table.table, aws_endpoint_url=dynamo_endpoint,
                        secret=SECRET, skill_id=(testing.DEFAULT_APP_ID,), load_plugins=("bandcoach",),
                        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    return lambda_handler.make_runtime(settings)


def test_launch_request_is_answered_end_to_end_with_dynamodb_state(runtime: Runtime) -> None:
    data = lambda_handler.answer(runtime, testing.launch_request(user_id=RUNNER))
    check_response(data)
    assert "Welcome to Band Coach" in data["response"]["outputSpeech"]["ssml"]


def test_lambda_runtime_never_verifies_signatures(runtime: Runtime) -> None:
    assert runtime.settings.verify is False


def test_start_then_next_keeps_the_position_in_dynamodb(runtime: Runtime, table: DynamoDBStore) -> None:
    started = lambda_handler.answer(runtime, testing.intent_request(
        "StartRoutineIntent", {"routine": ("post-run stretch", "recovery")}, user_id=RUNNER, new=True))
    assert table.load(RUNNER).in_progress.place.block == 0
    moved = lambda_handler.answer(runtime, testing.intent_request(
        "AMAZON.NextIntent", user_id=RUNNER, session_attributes=started["sessionAttributes"]))
    check_response(moved)
    kept = table.load(RUNNER).in_progress.place
    assert (kept.routine, kept.block) == ("recovery", 1)
    later = lambda_handler.answer(runtime, testing.launch_request(user_id=RUNNER))  # a new session, another day
    assert "Resume your Post-run stretch, or start something new?" in later["response"]["outputSpeech"]["ssml"]


def test_an_event_for_another_skill_is_refused(runtime: Runtime) -> None:
    with pytest.raises(VerificationError, match="not one of this skill's ids"):
        lambda_handler.answer(runtime, testing.launch_request(application_id="amzn1.ask.skill.someone-else"))


def test_an_event_without_a_skill_id_is_refused(runtime: Runtime) -> None:
    with pytest.raises(VerificationError, match="carries no applicationId"):
        lambda_handler.answer(runtime, {"version": "1.0", "request": {"type": "LaunchRequest"}})


@pytest.mark.parametrize("event", [
    {**testing.launch_request(), "request": {"requestId": "no type"}},
    {**testing.launch_request(), "request": {"type": "IntentRequest", "intent": "not an object"}},
    ["not", "an", "envelope"],
], ids=["untyped-request", "unreadable-request", "not-an-object"])
def test_a_malformed_event_gets_an_empty_response(runtime: Runtime, event: object) -> None:
    data = lambda_handler.answer(runtime, event)
    check_response(data)
    assert data["response"] == {}


def test_a_playback_event_gets_no_speech(runtime: Runtime) -> None:
    data = lambda_handler.answer(runtime, testing.audio_player_request("PlaybackStopped", token="t", user_id=RUNNER))
    check_response(data)
    assert "outputSpeech" not in data["response"]


def _run_cold(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter configured like a deployed function (SQLite stands in for DynamoDB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANDCOACH_")}
    env.update(BANDCOACH_SKILL_ID=testing.DEFAULT_APP_ID, BANDCOACH_LOAD_PLUGINS="bandcoach",
               BANDCOACH_DATA_DIR=str(tmp_path / "data"), BANDCOACH_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-c", code, json.dumps(testing.launch_request())], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)


def test_handler_imports_no_flask_and_no_audio_pipeline(tmp_path: Path) -> None:
    loaded = f"sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})"
    code = ("import json, sys\n"
            "import skill.lambda_handler as h\n"
            f"imported = {loaded}\n"
            "reply = h.handler(json.loads(sys.argv[1]), None)\n"
            f"answered = {loaded}\n"
            "print(json.dumps(dict(imported=imported, answered=answered, reply=reply)))\n")
    out = json.loads(_run_cold(code, tmp_path).stdout)
    assert out["imported"] == []
    assert "Welcome to Band Coach" in out["reply"]["response"]["outputSpeech"]["ssml"]
    # The built-in TTS engines are plugins in the audio package, registered through entry points like
    # any plugin, and the segment source is audio.local: those load; the pipeline (cache, MP3, numpy,
    # codecs) never does.
    loaded_by_design = ("audio", "audio.local")
    assert [m for m in out["answered"] if not m.startswith("audio.engines") and m not in loaded_by_design] == []


def test_handler_builds_the_runtime_once_per_container(tmp_path: Path) -> None:
    code = ("import json, sys\n"
            "import skill.lambda_handler as h\n"
            "h.handler(json.loads(sys.argv[1]), None); first = h.get_runtime()\n"
            "h.handler(json.loads(sys.argv[1]), None)\n"
            "print(first is h.get_runtime())\n")
    assert _run_cold(code, tmp_path).stdout.strip() == "True"
