"""/feed.xml without BANDCOACH_PUBLIC_URL: links name the server's own address, never the Host header;
`bandcoach serve --lan` picks that address on the local network and prints it for phones.

A client chooses the Host header; a feed built from it and cached publicly would hand every later
subscriber links to the attacker's host. The server's own address is WSGI's SERVER_NAME and
SERVER_PORT (`bandcoach serve` sets them from --host and the bound port; the live check is in
tests/test_serve_limits.py).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from support.live_server import free_port, server_env, stop

from audio.feed import ATOM
from skill.cli import cli
from skill.cli.lan import lan_address
from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.web.app import create_app


def feed(settings: Settings, **kw: Any) -> Any:
    return create_app(settings, pm=make_plugin_manager(settings)).test_client().get("/feed.xml", **kw)


def self_link(reply: Any) -> str | None:
    """The feed's own address (atom:link rel="self"), from which every other link in it is made."""
    link = ET.fromstring(reply.data).find(f"channel/{{{ATOM}}}link[@rel='self']")
    return link.get("href") if link is not None else None


def test_links_name_the_servers_own_address_not_the_host_header(settings: Settings) -> None:
    reply = feed(settings, base_url="http://127.0.0.1:5000", headers={"Host": "attacker.example"})
    assert reply.status_code == 200
    assert self_link(reply) == "http://127.0.0.1:5000/feed.xml"


def test_without_a_public_url_the_feed_is_only_privately_cacheable(settings: Settings) -> None:
    assert feed(settings, base_url="http://127.0.0.1:5000").headers["Cache-Control"] == "private, max-age=300"


def test_with_a_public_url_the_feed_is_public_and_uses_it(settings: Settings) -> None:
    reply = feed(dataclasses.replace(settings, public_url="https://coach.example.org"),
                 headers={"Host": "attacker.example"})
    assert reply.headers["Cache-Control"] == "public, max-age=300"
    assert self_link(reply) == "https://coach.example.org/feed.xml"


def test_a_server_on_every_interface_refuses_the_feed_naming_the_fix(settings: Settings) -> None:
    reply = feed(settings, environ_overrides={"SERVER_NAME": "0.0.0.0", "SERVER_PORT": "5000"})
    assert reply.status_code == 503
    assert "BANDCOACH_PUBLIC_URL" in reply.get_json()["error"]


def test_an_ipv6_address_is_bracketed_and_a_default_port_left_out(settings: Settings) -> None:
    reply = feed(settings, environ_overrides={"SERVER_NAME": "::1", "SERVER_PORT": "80"})
    assert self_link(reply) == "http://[::1]/feed.xml"


# --- bandcoach serve --lan ------------------------------------------------------------------------

SERVE_ON_LOOPBACK_AS_LAN = (
    "import sys, skill.cli.lan as lan\n"
    "lan.lan_address = lambda: '127.0.0.1'  # the network edge: tests bind loopback only\n"
    "from skill.cli import cli\n"
    "cli(['serve', '--lan', '--port', sys.argv[1]])\n"
)


def test_the_lan_address_is_one_a_phone_could_reach() -> None:
    try:
        found = ipaddress.ip_address(lan_address())
    except click.ClickException as exc:  # a machine on no network: the error says what to do instead
        assert "--host" in exc.message
        return
    assert found.version == 4 and not (found.is_loopback or found.is_link_local or found.is_unspecified)


def test_serve_lan_prints_the_feed_to_subscribe_to_and_serves_it_there(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVE_ON_LOOPBACK_AS_LAN, str(port)], env=server_env(tmp_path),
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/feed.xml"
    try:
        body = _get_when_up(url, proc, log)
    finally:
        stop(proc)
    printed = log.read_text(encoding="utf-8")
    assert f"subscribe in a podcast app to: {url}" in printed
    assert "█" in printed  # the QR code a phone's camera reads
    link = ET.fromstring(body).find(f"channel/{{{ATOM}}}link[@rel='self']")
    assert link is not None and link.get("href") == url


def _get_when_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> bytes:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(encoding="utf-8")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return reply.read()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}:\n{log.read_text(encoding='utf-8')}")


@pytest.mark.parametrize(("extra", "said"), [(["--host", "10.0.0.7"], "not both"), (["--local"], "cannot go together")])
def test_serve_lan_refuses_a_second_address(extra: list[str], said: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--lan", *extra])
    assert result.exit_code == 2 and said in result.output
