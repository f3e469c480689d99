"""GET /audio/<key>.mp3 through Flask's test client: headers, ranges, validators, refusals, URLs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from audio.cache import AudioCache, Prompt
from audio.engines import identity
from audio.engines.espeak import EspeakEngine
from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.web.app import create_app


@pytest.fixture
def audio_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, public_url="https://coach.example.org/skill/")


@pytest.fixture
def cache(audio_settings: Settings) -> AudioCache:
    return AudioCache(audio_settings.audio_path)


@pytest.fixture
def prompt(cache: AudioCache) -> Prompt:
    engine = EspeakEngine()
    made = cache.ensure(engine, "Exercise 1 of 5: lateral band walk. Step wide and keep your knees out.", "en-US")
    cache.remember_identity("en-US", identity(engine, "en-US"))
    return made


@pytest.fixture
def audio_client(audio_settings: Settings) -> FlaskClient:
    """The real app (as `bandcoach serve` runs it), so its error handlers answer too."""
    return create_app(audio_settings, pm=make_plugin_manager(audio_settings)).test_client()


def test_a_cached_prompt_is_served_as_immutable_mpeg_audio(audio_client: FlaskClient, prompt: Prompt) -> None:
    with audio_client.get(f"/audio/{prompt.key}.mp3") as response:
        assert response.status_code == 200
        assert response.mimetype == "audio/mpeg"
        assert response.data == prompt.data
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["ETag"] == f'"{prompt.key}"'
        assert int(response.headers["Content-Length"]) == len(prompt.data)


@pytest.mark.parametrize(("header", "start", "stop"), [
    ("bytes=100-199", 100, 200), ("bytes=0-0", 0, 1), ("bytes=-64", -64, None), ("bytes=1000-", 1000, None),
])
def test_a_range_request_gets_206_with_exactly_those_bytes(
    audio_client: FlaskClient, prompt: Prompt, header: str, start: int, stop: int | None
) -> None:
    expected = prompt.data[start:stop]
    first = start if start >= 0 else len(prompt.data) + start
    with audio_client.get(f"/audio/{prompt.key}.mp3", headers={"Range": header}) as response:
        assert response.status_code == 206
        assert response.data == expected
        assert response.headers["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(prompt.data)}"


@pytest.mark.parametrize("header", ["bytes={past}-", "bytes={past}-{beyond}"])
def test_an_unsatisfiable_range_is_416_with_the_length(audio_client: FlaskClient, prompt: Prompt, header: str) -> None:
    past = len(prompt.data) + 10
    wanted = header.format(past=past, beyond=past * 2)
    response = audio_client.get(f"/audio/{prompt.key}.mp3", headers={"Range": wanted})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(prompt.data)}"
    assert "range not satisfiable" in response.get_json()["error"]


def test_a_client_holding_the_prompt_gets_304(audio_client: FlaskClient, prompt: Prompt) -> None:
    with audio_client.get(f"/audio/{prompt.key}.mp3", headers={"If-None-Match": f'"{prompt.key}"'}) as response:
        assert response.status_code == 304 and response.data == b""


@pytest.mark.parametrize("key", ["abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65])
def test_a_malformed_key_is_a_json_404(audio_client: FlaskClient, key: str) -> None:
    response = audio_client.get(f"/audio/{key}.mp3")
    assert response.status_code == 404
    assert "64 lowercase hexadecimal" in response.get_json()["error"]


def test_an_unknown_key_is_a_json_404_that_says_how_to_fill_the_cache(audio_client: FlaskClient) -> None:
    response = audio_client.get(f"/audio/{'0' * 64}.mp3")
    assert response.status_code == 404
    assert "bandcoach audio warm" in response.get_json()["error"]


@pytest.mark.parametrize("path", ["/audio/..%2f..%2fmanifest.sqlite3.mp3", "/audio/../manifest.sqlite3",
                                  "/audio/%2e%2e/%2e%2e/etc/passwd.mp3"])
def test_paths_that_climb_out_are_not_found(audio_client: FlaskClient, prompt: Prompt, path: str) -> None:
    assert audio_client.get(path).status_code == 404


def test_a_symlink_pointing_out_of_the_cache_is_refused(
    audio_client: FlaskClient, prompt: Prompt, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.mp3"
    outside.write_bytes(b"s" * len(prompt.data))  # same size, so the manifest check alone would pass
    assert prompt.path is not None
    prompt.path.unlink()
    prompt.path.symlink_to(outside)
    response = audio_client.get(f"/audio/{prompt.key}.mp3")
    assert response.status_code == 404
    assert b"s" * 16 not in response.data


@pytest.mark.parametrize("header", ["bytes=oops", "items=0-5", "bytes=5-2"])
def test_a_range_in_an_unknown_unit_or_malformed_is_ignored(audio_client: FlaskClient, prompt: Prompt,
                                                             header: str) -> None:
    """RFC 9110 14.2: such a Range is ignored, and the whole representation is the answer."""
    with audio_client.get(f"/audio/{prompt.key}.mp3", headers={"Range": header}) as response:
        assert response.status_code == 200 and response.data == prompt.data


def test_a_matching_if_none_match_wins_over_an_unsatisfiable_range(audio_client: FlaskClient, prompt: Prompt) -> None:
    """RFC 9110 13.2.2: preconditions are evaluated before Range."""
    headers = {"If-None-Match": f'"{prompt.key}"', "Range": f"bytes={len(prompt.data) + 10}-"}
    with audio_client.get(f"/audio/{prompt.key}.mp3", headers=headers) as response:
        assert response.status_code == 304


def test_an_if_range_that_no_longer_matches_gets_the_whole_file(audio_client: FlaskClient, prompt: Prompt) -> None:
    headers = {"If-Range": '"not-this-one"', "Range": "bytes=0-9"}
    with audio_client.get(f"/audio/{prompt.key}.mp3", headers=headers) as response:
        assert response.status_code == 200 and response.data == prompt.data
