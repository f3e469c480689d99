"""The app factory and the HTTP edge: health, size and shape limits, JSON errors."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from support.builtin_catalog import ROUTINE_IDS

from skill import testing
from skill.web.app import create_app


def test_factory_builds_an_app_with_the_builtin_routines(settings, pm):
    app = create_app(settings, pm=pm)
    assert sorted(app.extensions["bandcoach"].catalog.routines) == sorted(ROUTINE_IDS)


def test_factory_reads_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("BANDCOACH_VERIFY", "0")
    app = create_app()
    assert app.extensions["bandcoach"].settings.verify is False


def test_verification_off_is_logged_as_a_warning(settings, pm, caplog):
    with caplog.at_level(logging.WARNING, logger="skill.web.app"):  # `say` quiets this logger
        create_app(settings, pm=pm)
    assert "verification is OFF" in caplog.text


def test_healthz_reports_ok(client):
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json()["status"] == "ok"
    assert reply.get_json()["routines"] == len(ROUTINE_IDS)


def test_malformed_json_is_a_400_with_a_json_error(client):
    reply = client.post("/alexa", data=b"{not json", content_type="application/json")
    assert reply.status_code == 400
    assert "not valid JSON" in reply.get_json()["error"]


def test_a_json_array_is_refused(client):
    reply = client.post("/alexa", data=b"[1, 2]", content_type="application/json")
    assert reply.status_code == 400
    assert "JSON object" in reply.get_json()["error"]


def test_a_body_over_128_kib_is_refused_before_parsing(client):
    body = json.dumps({"version": "1.0", "pad": "x" * (128 * 1024)})
    reply = client.post("/alexa", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert "128 KiB" in reply.get_json()["error"]


def test_deep_nesting_is_refused(client):
    body = "[" * 100 + "]" * 100
    reply = client.post("/alexa", data='{"a": ' + body + "}", content_type="application/json")
    assert reply.status_code == 400
    assert "nested" in reply.get_json()["error"]


def test_an_envelope_without_a_request_is_refused(client):
    reply = client.post("/alexa", json={"version": "1.0", "session": {}})
    assert reply.status_code == 400
    assert "no request" in reply.get_json()["error"]


def test_wrong_field_types_are_a_400_not_a_500(client):
    env = testing.launch_request()
    env["session"]["new"] = {"not": "a bool"}
    env["request"]["timestamp"] = ["not", "a", "date"]
    reply = client.post("/alexa", json=env)
    assert reply.status_code == 400
    assert "not a valid Alexa request envelope" in reply.get_json()["error"]


def test_an_unreadable_context_interface_is_ignored(client):
    env = testing.playback_controller_request("Play", audio_player={"playerActivity": "string"})
    reply = client.post("/alexa", json=env)
    assert reply.status_code == 200


def test_unknown_routes_answer_json_404(client):
    reply = client.get("/nope")
    assert reply.status_code == 404
    assert "error" in reply.get_json()


def test_get_on_alexa_is_405(client):
    assert client.get("/alexa").status_code == 405


def test_the_app_registers_the_audio_route(client):
    """The app mounts /audio/ with the fix in its 404 (tests/test_audio_routes.py covers the route in full)."""
    reply = client.get("/audio/" + "0" * 64 + ".mp3")
    assert reply.status_code == 404
    assert "bandcoach audio warm" in reply.get_json()["error"]


def test_the_web_app_loads_the_feed_builder_only_when_the_feed_is_asked_for(tmp_path):
    """bandcoach serve and say start without the export reader and mutagen; GET /feed.xml loads them."""
    code = ("import sys\nfrom pathlib import Path\nfrom skill.web.app import create_app\n"
            "from skill.config import Settings\nfrom skill.plugins import make_plugin_manager\n"
            "home = Path(sys.argv[1])\n"
            "settings = Settings(verify=False, load_plugins=('bandcoach',), data_dir=home, cache_dir=home)\n"
            "client = create_app(settings, pm=make_plugin_manager(settings)).test_client()\n"
            "before = 'audio.feed' in sys.modules or 'mutagen' in sys.modules\n"
            "status = client.get('/feed.xml').status_code\n"
            "print(before, status, 'audio.feed' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60,
                         check=True).stdout.split()
    assert out == ["False", "200", "True"]
