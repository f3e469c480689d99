"""The phone pages and their audio over HTTP (Flask's test client): choices refused with the fix, audio made once
and served with ranges, a clear answer without a speech engine, and the addresses the share panel gives."""

from __future__ import annotations

import html
from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from skill.config import Settings
from skill.web.app import create_app
from skill.web.phone.share import Address, server_address

ON_LOOPBACK = {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000"}
ON_THE_LAN = {"SERVER_NAME": "192.168.1.20", "SERVER_PORT": "5000"}


def test_a_choice_outside_the_voice_vocabulary_is_refused_with_the_accepted_values(client: FlaskClient) -> None:
    reply = client.get("/routines/glutes?band=purple")
    assert reply.status_code == 400 and reply.mimetype == "text/html"
    assert "choose light, medium, heavy" in reply.text
    reply = client.get("/routines/glutes?length=90")
    assert reply.status_code == 400 and "a number of minutes from 1 to 60" in reply.text
    assert client.get("/routines/glutes/play.json?locale=fr-FR").get_json()["error"].startswith("locale 'fr-FR'")


def test_an_unknown_routine_is_a_page_that_says_so(client: FlaskClient) -> None:
    reply = client.get("/routines/yoga")
    assert reply.status_code == 404 and "there is no routine 'yoga'" in html.unescape(reply.text)
    assert client.get("/routines/yoga/play.json").status_code == 404


@pytest.mark.slow
def test_audio_is_made_once_and_served_with_ranges(client: FlaskClient) -> None:
    first = client.get("/routines/treadmill/play.json").get_json()
    again = client.get("/routines/treadmill/play.json").get_json()
    assert first == again  # content-addressed: the same segments, the same file
    chapters = first["chapters"]
    assert [c["title"] for c in chapters] == ["Banded treadmill walk", "Banded incline walk"]
    assert chapters[0]["start"] == 0 and chapters[0]["end"] == chapters[1]["start"]
    assert chapters[-1]["end"] == first["seconds"]
    with client.get(first["audio"], headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and len(part.data) == 100 and part.data[:2] == b"\xff\xf3"


def test_without_a_speech_engine_the_page_says_why_instead_of_failing(settings: Settings) -> None:
    client = create_app(replace(settings, tts="nonesuch")).test_client()
    assert client.get("/routines/glutes").status_code == 200  # browsing still works
    reply = client.get("/routines/glutes/play.json")
    assert reply.status_code == 503
    assert reply.get_json()["error"].startswith("no TTS engine available: install espeak-ng")


def test_the_share_panel_links_the_feed_and_shows_a_qr_code_for_the_public_address(settings: Settings) -> None:
    client = create_app(replace(settings, public_url="https://coach.example/")).test_client()
    page = client.get("/").text
    assert 'href="podcast://coach.example/feed.xml"' in page
    assert '<svg role="img" viewBox=' in page and "<title>QR code for https://coach.example/</title>" in page
    assert "only works on this computer" not in page


@pytest.mark.parametrize(("environ", "expected"), [
    (ON_THE_LAN, Address("http://192.168.1.20:5000", True)),
    (ON_LOOPBACK, Address("http://127.0.0.1:5000", False)),
])
def test_the_address_is_the_one_the_server_listens_on(settings: Settings, environ: dict[str, str],
                                                      expected: Address) -> None:
    assert server_address(settings, environ) == expected


def test_a_server_on_every_interface_says_how_to_name_one_instead_of_a_qr_code(client: FlaskClient) -> None:
    page = client.get("/", base_url="http://0.0.0.0:5000").text
    assert "set BANDCOACH_PUBLIC_URL" in page and "<svg" not in page


def test_the_manifest_and_icons_install_the_page_as_an_app(client: FlaskClient) -> None:
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        png = client.get(icon["src"]).data
        size = int(icon["sizes"].split("x")[0])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == size
    assert client.get("/icons/7.png").status_code == 404
