"""GET /feed.xml and /exports/<file>: the podcast a phone subscribes to, over Flask and a real 127.0.0.1 server."""

from __future__ import annotations

import dataclasses
import io
import shutil
import threading
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.handsfree_support import timeline_of, warm_timeline
from werkzeug.serving import make_server

from audio.export import Exported, export_timeline
from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.web.app import create_app

NAME = "desk-short-light"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Exported]:
    timeline = timeline_of()
    cache = warm_timeline(tmp_path_factory.mktemp("audio"), timeline)
    out = tmp_path_factory.mktemp("exports")
    done = export_timeline(cache, timeline, out, name=NAME, title="Desk routine (short, light band)")
    cache.close()
    return out, done


def app_for(settings: Settings) -> Flask:
    """The real app (as `bandcoach serve` runs it), so its error handlers answer too."""
    return create_app(settings, pm=make_plugin_manager(settings))


def client_for(settings: Settings) -> FlaskClient:
    return app_for(settings).test_client()


@pytest.fixture
def feed_settings(settings: Settings, exports: tuple[Path, Exported]) -> Settings:
    return dataclasses.replace(settings, export_dir=exports[0])


@pytest.fixture
def client(feed_settings: Settings) -> FlaskClient:
    return client_for(feed_settings)


def enclosures(xml: bytes) -> list[ET.Element]:
    return ET.fromstring(xml).findall("channel/item/enclosure")


def test_feed_points_at_the_address_the_server_listens_on(client: FlaskClient, exports: tuple[Path, Exported]) -> None:
    reply = client.get("/feed.xml", base_url="http://192.168.1.20:5000")
    assert reply.status_code == 200 and reply.mimetype == "application/rss+xml"
    (enclosure,) = enclosures(reply.data)
    assert enclosure.get("url") == f"http://192.168.1.20:5000/exports/{NAME}.mp3"
    assert int(enclosure.get("length")) == exports[1].mp3.stat().st_size


def test_feed_prefers_the_public_url(feed_settings: Settings) -> None:
    client = client_for(dataclasses.replace(feed_settings, public_url="https://coach.example.org/skill/"))
    (enclosure,) = enclosures(client.get("/feed.xml").data)
    assert enclosure.get("url") == f"https://coach.example.org/skill/exports/{NAME}.mp3"


def test_feed_of_a_missing_export_dir_is_empty(settings: Settings, tmp_path: Path) -> None:
    reply = client_for(dataclasses.replace(settings, export_dir=tmp_path / "none")).get("/feed.xml")
    assert reply.status_code == 200 and enclosures(reply.data) == []


def test_exported_files_are_served_whole_and_by_range(client: FlaskClient, exports: tuple[Path, Exported]) -> None:
    data = exports[1].mp3.read_bytes()
    with client.get(f"/exports/{NAME}.mp3") as whole:
        assert whole.status_code == 200 and whole.data == data and whole.headers["Accept-Ranges"] == "bytes"
    with client.get(f"/exports/{NAME}.mp3", headers={"Range": "bytes=100-199"}) as part:
        assert part.status_code == 206 and part.data == data[100:200]
    with client.get(f"/exports/{NAME}.mp3", headers={"Range": f"bytes={len(data) + 10}-"}) as beyond:
        assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize(("suffix", "mimetype"), [
    (".m3u", "audio/x-mpegurl"), (".m3u8", "application/vnd.apple.mpegurl"), (".png", "image/png"),
    (".json", "application/json"), (".vtt", "text/vtt")])
def test_everything_an_export_writes_is_served_with_its_type(client: FlaskClient, exports: tuple[Path, Exported],
                                                             suffix: str, mimetype: str) -> None:
    with client.get(f"/exports/{NAME}{suffix}") as reply:
        assert reply.status_code == 200 and reply.mimetype == mimetype
        assert reply.data == (exports[0] / f"{NAME}{suffix}").read_bytes()


def test_the_feed_names_only_files_the_server_serves(client: FlaskClient) -> None:
    channel = ET.fromstring(client.get("/feed.xml", base_url="http://192.168.1.20:5000").data).find("channel")
    urls = [v for e in channel.iter() for k, v in e.attrib.items() if k in ("url", "href")]
    assert len(urls) >= 6  # self, show cover, enclosure, episode cover, chapters, transcript
    for url in urls:
        with client.get(url.removeprefix("http://192.168.1.20:5000"), base_url="http://192.168.1.20:5000") as reply:
            assert reply.status_code == 200, url


def test_the_shows_cover_is_served_before_anything_is_exported(settings: Settings, tmp_path: Path) -> None:
    from PIL import Image

    with client_for(dataclasses.replace(settings, export_dir=tmp_path / "none")).get("/exports/podcast.png") as reply:
        assert reply.status_code == 200 and reply.mimetype == "image/png"
        with Image.open(io.BytesIO(reply.data)) as image:
            assert image.size == (1400, 1400)


def test_an_unchanged_feed_is_not_modified_for_its_etag(client: FlaskClient) -> None:
    first = client.get("/feed.xml")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get("/feed.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_an_unchanged_feed_is_not_modified_since_its_date(client: FlaskClient) -> None:
    first = client.get("/feed.xml")
    again = client.get("/feed.xml", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304


def test_a_new_export_changes_the_feeds_etag(settings: Settings, exports: tuple[Path, Exported],
                                             tmp_path: Path) -> None:
    out = tmp_path / "exports"
    shutil.copytree(exports[0], out)
    client = client_for(dataclasses.replace(settings, export_dir=out))
    before = client.get("/feed.xml").headers["ETag"]
    (out / f"{NAME}.mp3").rename(out / "copy-short-light.mp3")
    reply = client.get("/feed.xml", headers={"If-None-Match": before})
    assert reply.status_code == 200 and reply.headers["ETag"] != before


@pytest.mark.parametrize("path", ["/exports/..%2F..%2Fetc%2Fpasswd.mp3", "/exports/../feed.mp3", "/exports/.hidden.mp3",
                                  f"/exports/{NAME}.xml", "/exports/nothing-here.mp3", "/exports/%2Fetc%2Fpasswd.m3u8"])
def test_traversal_odd_names_and_unknown_files_are_404(client: FlaskClient, path: str) -> None:
    with client.get(path) as reply:
        assert reply.status_code == 404


def test_a_symlink_out_of_the_export_dir_is_refused(settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "secret.mp3"
    secret.write_bytes(b"not for phones")
    out = tmp_path / "exports"
    out.mkdir()
    (out / "escape.mp3").symlink_to(secret)
    with client_for(dataclasses.replace(settings, export_dir=out)).get("/exports/escape.mp3") as reply:
        assert reply.status_code == 404


@pytest.fixture
def server(feed_settings: Settings) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app_for(feed_settings))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_a_podcast_client_can_subscribe_and_download_over_http(server: str, exports: tuple[Path, Exported]) -> None:
    with urllib.request.urlopen(f"{server}/feed.xml", timeout=10) as reply:
        (enclosure,) = enclosures(reply.read())
    with urllib.request.urlopen(enclosure.get("url"), timeout=10) as reply:
        body = reply.read()
    assert len(body) == int(enclosure.get("length")) and body == exports[1].mp3.read_bytes()
