"""Amazon Polly through boto3, against a stand-in on 127.0.0.1 that answers with espeak-ng audio (never AWS)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from support.polly_standin import Behaviour, PollyStandin

from audio import mp3
from audio.engines import TTSEngine, describe, identity
from audio.engines.polly import PollyEngine, bandcoach_tts_engines
from skill.config import LOCALES, Settings


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake keys, and none of the developer's AWS files or endpoints."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_POLLY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def fast_polly(standin: PollyStandin, **kwargs: object) -> PollyEngine:
    return PollyEngine(endpoint_url=standin.url, backoff=0.02, **kwargs)  # type: ignore[arg-type]


def test_each_locale_gets_a_neural_voice_with_its_accent() -> None:
    with PollyStandin() as standin:
        engine = fast_polly(standin)
        for locale in LOCALES:
            engine.synthesize("Switch sides.", locale)
    assert [(s.voice, s.language) for s in standin.seen] == [
        ("Joanna", "en-US"), ("Amy", "en-GB"), ("Olivia", "en-AU"), ("Joanna", "en-US"), ("Kajal", "en-IN")]
    assert {(s.engine, s.output_format, s.sample_rate) for s in standin.seen} == {("neural", "mp3", "24000")}


def test_plain_text_goes_in_and_mp3_comes_out_in_our_profile() -> None:
    with PollyStandin() as standin:
        speech = fast_polly(standin).synthesize("Keep your knees out.", "en-GB")
    assert standin.seen[0].text == "Keep your knees out."
    assert speech.format == "mp3"
    assert mp3.duration(mp3.to_alexa_mp3(speech.data)) > 0.5


def test_pcm_output_is_handed_on_as_wav() -> None:
    with PollyStandin() as standin:
        speech = fast_polly(standin, output_format="pcm").synthesize("Keep your knees out.", "en-US")
    assert standin.seen[0].output_format == "pcm" and standin.seen[0].sample_rate == "16000"
    assert speech.format == "wav" and mp3.duration(mp3.to_alexa_mp3(speech.data)) > 0.5


@pytest.mark.parametrize(("status", "error_type"), [(429, "TooManyRequestsException"), (400, "ThrottlingException"),
                                                    (500, "ServiceFailureException"), (503, "ServiceUnavailable")])
def test_throttling_and_server_errors_are_retried_then_succeed(status: int, error_type: str) -> None:
    with PollyStandin(Behaviour(fail_first=2, fail_status=status, error_type=error_type)) as standin:
        speech = fast_polly(standin).synthesize("Go!", "en-US")
    assert [s.status for s in standin.seen] == [status, status, 200]
    assert mp3.duration(speech.data) > 0


def test_retry_after_is_honoured() -> None:
    slept: list[float] = []
    with PollyStandin(Behaviour(fail_first=1, retry_after="7")) as standin:
        fast_polly(standin, sleep=slept.append).synthesize("Go!", "en-US")
    assert slept == [7.0]


def test_a_refusal_is_not_retried() -> None:
    refusing = PollyStandin(Behaviour(fail_first=1, fail_status=400, error_type="InvalidSampleRateException"))
    with refusing as standin, pytest.raises(ClientError, match="InvalidSampleRateException"):
        fast_polly(standin).synthesize("Go!", "en-US")
    assert len(standin.seen) == 1


def test_gives_up_after_its_retries() -> None:
    with PollyStandin(Behaviour(fail_first=99, fail_status=500)) as standin, pytest.raises(ClientError):
        fast_polly(standin, retries=2).synthesize("Go!", "en-US")
    assert len(standin.seen) == 3


def test_never_more_requests_at_once_than_its_cap() -> None:
    with PollyStandin(Behaviour(delay=0.1)) as standin:
        engine = fast_polly(standin, max_workers=2)
        threads = [threading.Thread(target=engine.synthesize, args=(f"Rep {i}.", "en-US")) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(standin.seen) == 6 and standin.max_in_flight == 2


def test_available_only_when_configured() -> None:
    with PollyStandin() as standin:
        engine = PollyEngine(enabled=False, endpoint_url=standin.url)
        assert not engine.available()
    assert "BANDCOACH_POLLY=1" in engine.unavailable_reason
    assert standin.probes == 0  # not configured: no request at all


def test_configured_polly_probes_once() -> None:
    with PollyStandin() as standin:
        engine = fast_polly(standin)
        assert engine.available() and engine.available()
    assert standin.probes == 1


def test_without_credentials_polly_says_how_to_give_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup off EC2
    engine = PollyEngine(endpoint_url="http://127.0.0.1:9")
    assert not engine.available()
    assert "no AWS credentials found" in engine.unavailable_reason


def test_an_unreachable_endpoint_fails_the_probe() -> None:
    with PollyStandin() as standin:
        url = standin.url
    engine = PollyEngine(endpoint_url=url, timeout=1.0)  # closed: connection refused
    assert not engine.available() and "failed the probe" in engine.unavailable_reason


def test_identity_names_the_voice_and_reads_as_words() -> None:
    engine = PollyEngine()
    assert isinstance(engine, TTSEngine)
    assert describe(identity(engine, "en-AU")) == "Amazon Polly Olivia (neural mp3)"
    assert identity(engine, "en-GB") != identity(PollyEngine(output_format="pcm"), "en-GB")


def test_the_hook_offers_polly_configured_by_settings() -> None:
    [engine] = bandcoach_tts_engines(Settings(polly=True, aws_region="eu-west-1"))
    assert engine.enabled and engine.region == "eu-west-1"
    [off] = bandcoach_tts_engines(Settings())
    assert not off.enabled
