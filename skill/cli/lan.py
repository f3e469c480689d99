"""`bandcoach serve --lan`: this machine's address on the local network, and a QR code of the feed to subscribe to.

The address is found without the internet: connecting a UDP socket sends nothing, but makes the
kernel pick the interface it would route a private address through, whose address the socket then
has. When that finds none (no route), the host name's addresses are tried; loopback never counts.
"""

from __future__ import annotations

import ipaddress
import socket

import click

PROBE = ("10.255.255.255", 9)  # a private address: choosing a route to it sends no packet
NO_LAN = ("no local network address found (is this machine on a network?): pass --host with the address "
          "phones reach it at (see 'ip addr' or your network settings)")


def lan_address() -> str:
    """This machine's IPv4 address on the local network; ClickException (with the fix) when it has none."""
    for found in (_routed_address, _host_name_address):
        address = found()
        if address is not None:
            return address
    raise click.ClickException(NO_LAN)


def _routed_address() -> str | None:
    """The address of the interface that routes to a private network, or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(PROBE)
            return _usable(str(probe.getsockname()[0]))
    except OSError:
        return None


def _host_name_address() -> str | None:
    """The first non-loopback IPv4 address the host name resolves to, or None."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    return next((a for a in (_usable(str(info[4][0])) for info in infos) if a), None)


def _usable(address: str) -> str | None:
    """`address` when a phone could reach it (not loopback, unspecified or link-local), else None."""
    ip = ipaddress.ip_address(address)
    return None if ip.is_loopback or ip.is_unspecified or ip.is_link_local else address


def print_subscribe(url: str) -> None:
    """The feed's URL and a QR code of it on stderr, for a phone's camera."""
    import segno

    click.echo(f"On a phone on this network, subscribe in a podcast app to: {url}", err=True)
    segno.make(url).terminal(out=click.get_text_stream("stderr"), compact=True)
