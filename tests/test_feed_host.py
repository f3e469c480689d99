"""/feed.xml without BANDCOACH_PUBLIC_URL: links name the server's own address, never the Host header.

A client chooses the Host header; a feed built from it and cached publicly would hand every later
subscriber links to the attacker's host. The server's own address is WSGI's SERVER_NAME and
SERVER_PORT (`bandcoach serve` sets them from --host and the bound port; the live check is in
tests/test_serve_limits.py).
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from typing import Any

from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.web.app import create_app


def feed(settings: Settings, **kw: Any) -> Any:
    return create_app(settings, pm=make_plugin_manager(settings)).test_client().get("/feed.xml", **kw)


def channel_link(reply: Any) -> str | None:
    return ET.fromstring(reply.data).findtext("channel/link")


def test_links_name_the_servers_own_address_not_the_host_header(settings: Settings) -> None:
    reply = feed(settings, base_url="http://127.0.0.1:5000", headers={"Host": "attacker.example"})
    assert reply.status_code == 200
    assert channel_link(reply) == "http://127.0.0.1:5000/exports/"


def test_without_a_public_url_the_feed_is_only_privately_cacheable(settings: Settings) -> None:
    assert feed(settings, base_url="http://127.0.0.1:5000").headers["Cache-Control"] == "private, max-age=300"


def test_with_a_public_url_the_feed_is_public_and_uses_it(settings: Settings) -> None:
    reply = feed(dataclasses.replace(settings, public_url="https://coach.example.org"),
                 headers={"Host": "attacker.example"})
    assert reply.headers["Cache-Control"] == "public, max-age=300"
    assert channel_link(reply) == "https://coach.example.org/exports/"


def test_a_server_on_every_interface_refuses_the_feed_naming_the_fix(settings: Settings) -> None:
    reply = feed(settings, environ_overrides={"SERVER_NAME": "0.0.0.0", "SERVER_PORT": "5000"})
    assert reply.status_code == 503
    assert "BANDCOACH_PUBLIC_URL" in reply.get_json()["error"]


def test_an_ipv6_address_is_bracketed_and_a_default_port_left_out(settings: Settings) -> None:
    reply = feed(settings, environ_overrides={"SERVER_NAME": "::1", "SERVER_PORT": "80"})
    assert channel_link(reply) == "http://[::1]/exports/"
