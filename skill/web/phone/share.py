"""Where a phone reaches this server, as a link and a QR code, and the podcast feed's subscribe links.

The address is BANDCOACH_PUBLIC_URL when set, else the one the server listens on (WSGI's
SERVER_NAME and SERVER_PORT, as the feed uses: `bandcoach serve --lan` listens on the LAN address),
never the request's Host header. A server on every interface (0.0.0.0) names no one address; the
page then says how to give it one, as the feed does.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from skill.config import Settings
from skill.web.feed import own_base_url


@dataclass(frozen=True, slots=True)
class Address:
    """This server's base URL for phones, and whether a phone on the same network can reach it."""

    url: str
    reachable: bool

    @property
    def feed(self) -> str:
        return f"{self.url}/feed.xml"

    @property
    def podcast_link(self) -> str:
        """The feed as a podcast:// link, which podcast apps on phones open to subscribe."""
        return "podcast://" + self.feed.split("://", 1)[1]


def server_address(settings: Settings, environ: dict[str, Any]) -> Address:
    """The address a phone should open: the public URL, else the server's own; BadRequest (with the fix) on 0.0.0.0."""
    if settings.public_url:
        return Address(settings.public_url.rstrip("/"), True)
    url = own_base_url(environ)
    host = url.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")
    return Address(url, not _loopback(host))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def qr_svg(text: str) -> str:
    """`text` as a QR code in inline SVG (a few kB), titled for screen readers."""
    import segno  # loaded on the first list page

    code = segno.make(text, error="m")
    svg: str = code.svg_inline(scale=4, border=2, dark="#000", light="#fff", title=f"QR code for {text}",
                               svgclass="qr", omitsize=True)
    return svg.replace("<svg ", '<svg role="img" ', 1)
