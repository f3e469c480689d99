"""Engines: espeak-ng for real, gTTS against a 127.0.0.1 stand-in, the engine choice, and voice descriptions."""

from __future__ import annotations

import threading

import pytest
from gtts.tts import gTTSError
from support.gtts_standin import Behaviour, GttsStandin

from audio import mp3
from audio.engines import EngineIdentity, Speech, TTSEngine, choose_engine, collect_engines, describe, identity
from audio.engines import espeak as espeak_module
from audio.engines.espeak import EspeakEngine
from audio.engines.gtts import GTTSEngine
from audio.engines.piper import PiperEngine
from audio.engines.polly import PollyEngine
from skill import hookimpl
from skill.config import LOCALES, Settings
from skill.errors import NoEngineAvailable
from skill.plugins import make_plugin_manager


def fast_gtts(standin: GttsStandin, **kwargs: object) -> GTTSEngine:
    return GTTSEngine(base_url=standin.url, backoff=0.02, timeout=5.0, **kwargs)  # type: ignore[arg-type]


def missing_espeak() -> EspeakEngine:
    return EspeakEngine("/nonexistent/espeak-ng")


# --- espeak-ng -------------------------------------------------------------------------------


def test_espeak_speaks_wav_with_the_voice_of_each_locale() -> None:
    engine = EspeakEngine()
    assert [engine.voice(loc) for loc in LOCALES] == ["en-us", "en-gb", "en-gb", "en-us", "en-gb"]
    speech = engine.synthesize("Three. Two. One.", "en-GB")
    assert speech.format == "wav" and speech.data[:4] == b"RIFF"
    assert mp3.decode(speech.data).size > 24_000 * 0.5


def test_espeak_reports_its_release_and_rate_for_the_cache_key() -> None:
    engine = EspeakEngine()
    assert engine.available()
    assert identity(engine, "en-US") == EngineIdentity("espeak", engine.version, "en-us", "160")
    assert engine.version[0].isdigit() and "." in engine.version


def test_espeak_text_starting_with_a_dash_is_spoken_not_parsed_as_an_option() -> None:
    assert mp3.decode(EspeakEngine().synthesize("-5 seconds left", "en-US").data).size > 0


def test_missing_espeak_binary_is_unavailable_with_the_install_command() -> None:
    engine = missing_espeak()
    assert not engine.available()
    assert "apt-get install espeak-ng" in engine.unavailable_reason


def test_engines_satisfy_the_protocol_without_a_base_class() -> None:
    assert isinstance(EspeakEngine(), TTSEngine)
    assert isinstance(GTTSEngine(), TTSEngine)


# --- gTTS against the stand-in ----------------------------------------------------------------


def test_gtts_asks_the_accent_domain_of_each_locale() -> None:
    with GttsStandin() as standin:
        engine = fast_gtts(standin)
        for locale in LOCALES:
            engine.synthesize("Switch sides.", locale)
    assert [(s.tld, s.lang) for s in standin.seen] == [
        ("com", "en"), ("co.uk", "en"), ("com.au", "en"), ("ca", "en"), ("co.in", "en")]


def test_gtts_returns_google_mp3_that_converts_to_the_alexa_profile() -> None:
    with GttsStandin() as standin:
        speech = fast_gtts(standin).synthesize("Keep your knees out.", "en-US")
    assert speech.format == "mp3"
    assert mp3.duration(speech.data) > 0.5
    assert mp3.duration(mp3.to_alexa_mp3(speech.data)) > 0.5


def test_gtts_long_text_is_sent_in_parts_and_joined() -> None:
    text = "Sit tall on the front half of your chair, feet flat and hip-width apart. " * 3
    with GttsStandin() as standin:
        speech = fast_gtts(standin).synthesize(text, "en-US")
    assert len(standin.seen) > 1
    assert mp3.duration(speech.data) > 5


def test_gtts_retries_429_with_growing_backoff_then_succeeds() -> None:
    with GttsStandin(Behaviour(fail_first=2, fail_status=429)) as standin:
        speech = GTTSEngine(base_url=standin.url, backoff=0.1).synthesize("Go!", "en-US")
    seen = standin.seen
    assert [s.status for s in seen] == [429, 429, 200]
    first_gap, second_gap = seen[1].at - seen[0].at, seen[2].at - seen[1].at
    assert first_gap >= 0.1 and second_gap >= 0.2
    assert mp3.duration(speech.data) > 0


def test_gtts_waits_as_long_as_retry_after_asks() -> None:
    slept: list[float] = []
    with GttsStandin(Behaviour(fail_first=1, retry_after="7")) as standin:
        GTTSEngine(base_url=standin.url, backoff=0.01, sleep=slept.append).synthesize("Go!", "en-US")
    assert slept == [7.0]


def test_gtts_gives_up_after_its_retries() -> None:
    failing = GttsStandin(Behaviour(always_fail=True, fail_status=503))
    with failing as standin, pytest.raises(gTTSError, match="503"):
        fast_gtts(standin, retries=2).synthesize("Go!", "en-US")
    assert len(standin.seen) == 3


def test_gtts_does_not_retry_a_refusal() -> None:
    refusing = GttsStandin(Behaviour(fail_first=1, fail_status=403))
    with refusing as standin, pytest.raises(gTTSError, match="403"):
        fast_gtts(standin).synthesize("Go!", "en-US")
    assert len(standin.seen) == 1


def test_gtts_never_runs_more_requests_at_once_than_its_cap() -> None:
    with GttsStandin(Behaviour(delay=0.1)) as standin:
        engine = fast_gtts(standin, max_workers=2)
        threads = [threading.Thread(target=engine.synthesize, args=(f"Rep {i}.", "en-US")) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(standin.seen) == 6
    assert standin.max_in_flight == 2


def test_gtts_probe_is_one_request_however_often_availability_is_asked() -> None:
    with GttsStandin() as standin:
        engine = fast_gtts(standin)
        assert engine.available() and engine.available()
    assert len(standin.seen) == 1


def test_gtts_unreachable_host_is_unavailable_quickly() -> None:
    with GttsStandin() as standin:
        url = standin.url
    engine = GTTSEngine(base_url=url, probe_timeout=1.0)  # the server is closed: connection refused
    assert not engine.available()
    assert "failed the probe" in engine.unavailable_reason


# --- choosing an engine -----------------------------------------------------------------------


def test_auto_prefers_gtts_when_its_probe_succeeds() -> None:
    with GttsStandin() as standin:
        chosen = choose_engine(Settings(tts="auto"), [EspeakEngine(), fast_gtts(standin)])
    assert chosen.name == "gtts"


def test_auto_falls_back_to_espeak_when_the_gtts_probe_fails() -> None:
    with GttsStandin(Behaviour(always_fail=True, fail_status=500)) as standin:
        chosen = choose_engine(Settings(tts="auto"), [fast_gtts(standin), EspeakEngine()])
    assert chosen.name == "espeak"
    assert len(standin.seen) == 1  # one probe, no retries: the choice is quick


def no_piper() -> PiperEngine:
    """Piper as a fresh clone without the extra sees it: its availability seam finds no `piper` module."""
    return PiperEngine(module="piper_is_not_installed")


def test_auto_prefers_polly_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.polly_standin import PollyStandin

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with PollyStandin() as polly, GttsStandin() as gtts:
        chosen = choose_engine(Settings(tts="auto"), [EspeakEngine(), fast_gtts(gtts), PiperEngine(),
                                                      PollyEngine(endpoint_url=polly.url)])
    assert chosen.name == "polly"
    assert gtts.seen == []


@pytest.mark.skipif(not PiperEngine().available(), reason="the piper extra is not installed")
def test_auto_prefers_piper_when_installed_and_polly_is_not_configured() -> None:
    with GttsStandin() as standin:
        chosen = choose_engine(Settings(tts="auto"), [EspeakEngine(), fast_gtts(standin), PiperEngine(),
                                                      PollyEngine(enabled=False)])
    assert chosen.name == "piper"
    assert standin.seen == []  # gTTS is not even probed when Piper can speak


def test_auto_without_the_piper_extra_uses_gtts_when_reachable() -> None:
    with GttsStandin() as standin:
        chosen = choose_engine(Settings(tts="auto"), [EspeakEngine(), fast_gtts(standin), no_piper(),
                                                      PollyEngine(enabled=False)])
    assert chosen.name == "gtts"


def test_auto_without_the_piper_extra_or_network_uses_espeak() -> None:
    with GttsStandin(Behaviour(always_fail=True, fail_status=500)) as standin:
        chosen = choose_engine(Settings(tts="auto"), [EspeakEngine(), fast_gtts(standin), no_piper(),
                                                      PollyEngine(enabled=False)])
    assert chosen.name == "espeak"


def test_no_engine_names_the_piper_extra_among_the_fixes() -> None:
    with pytest.raises(NoEngineAvailable) as caught:
        choose_engine(Settings(tts="piper,espeak"), [no_piper(), missing_espeak()])
    assert "pip install 'bandcoach[piper]'" in str(caught.value)


@pytest.mark.parametrize(("ident", "words"), [
    (EngineIdentity("piper", "1.8.0", "en_US-joe-medium@1.0.0", "x"), "Piper en_US-joe-medium@1.0.0 (piper-tts 1.8.0)"),
    (EngineIdentity("espeak", "1.51", "en-gb", "160"), "espeak-ng en-gb (espeak-ng 1.51)"),
    (EngineIdentity("gtts", "2.5.4", "co.uk", "normal"), "Google Translate co.uk (gTTS 2.5.4)"),
    (EngineIdentity("polly", "neural mp3", "Amy", "default"), "Amazon Polly Amy (neural mp3)"),
    (EngineIdentity("chime", "1", "bell", "1"), "chime bell (chime 1)"),
])
def test_describe_says_which_voice_made_the_audio(ident: EngineIdentity, words: str) -> None:
    assert describe(ident) == words


def test_comma_separated_order_is_followed() -> None:
    with GttsStandin() as standin:
        chosen = choose_engine(Settings(tts="espeak,gtts"), [fast_gtts(standin), EspeakEngine()])
    assert chosen.name == "espeak"
    assert standin.seen == []  # gTTS was never probed


def test_no_engine_available_says_how_to_install_one_and_why_each_failed() -> None:
    failing = GttsStandin(Behaviour(always_fail=True, fail_status=500))
    with failing as standin, pytest.raises(NoEngineAvailable) as caught:
        choose_engine(Settings(tts="auto"), [fast_gtts(standin), missing_espeak()])
    message = str(caught.value)
    assert "install espeak-ng (apt-get install espeak-ng) or allow network access for gTTS" in message
    assert "gtts:" in message and "espeak: /nonexistent/espeak-ng not found" in message


def test_an_engine_nobody_offers_is_named_in_the_error() -> None:
    with pytest.raises(NoEngineAvailable, match="polly: no plugin offers it"):
        choose_engine(Settings(tts="polly"), [EspeakEngine()])


class ChimeEngine:
    """A third-party engine: no base class, only the protocol's members."""

    name = "chime"
    version = "1"
    rate = "1"
    max_workers = 1

    def available(self) -> bool:
        return True

    def voice(self, locale: str) -> str:
        return "bell"

    def synthesize(self, text: str, locale: str) -> Speech:
        return EspeakEngine().synthesize(text, locale)


class ChimePlugin:
    __name__ = "chime"

    @hookimpl
    def bandcoach_tts_engines(self, settings: Settings) -> list[ChimeEngine]:
        return [ChimeEngine()]


def test_hook_bandcoach_tts_engines_a_plugin_adds_an_engine() -> None:
    pm = make_plugin_manager(Settings(), load=False)
    pm.register(espeak_module, name="espeak")
    pm.register(ChimePlugin(), name="chime")
    engines = collect_engines(pm, Settings())
    assert sorted(e.name for e in engines) == ["chime", "espeak"]
    assert choose_engine(Settings(tts="chime"), engines).name == "chime"


def test_builtin_entry_points_offer_every_engine_gtts_pointed_at_the_configured_url() -> None:
    settings = Settings(load_plugins=("bandcoach",), gtts_url="http://127.0.0.1:9/{tld}")
    engines = {e.name: e for e in collect_engines(make_plugin_manager(settings), settings)}
    assert {"espeak", "gtts", "piper", "polly"} <= set(engines)
    assert engines["gtts"].base_url == "http://127.0.0.1:9/{tld}"  # type: ignore[attr-defined]
