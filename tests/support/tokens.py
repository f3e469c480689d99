"""Hands-free tokens as a test's app seals them: a fixed secret, and `encode`/`decode` under its key.

Tokens are sealed with an HMAC under a key derived from the skill's secret (skill.playback.token_key),
so a test that mints a token itself, or reads one from a response, needs the app's secret. Tests that
do either give their app `SECRET` (`keyed(settings)`, or BANDCOACH_SECRET=SECRET for an app built from
the environment) and use these two functions in place of skill.playback's.
"""

from __future__ import annotations

import dataclasses

from skill import playback
from skill.config import Settings
from skill.playback import Stream

SECRET = "band-coach-test-secret"
KEY = playback.token_key(SECRET.encode())


def keyed(settings: Settings) -> Settings:
    """`settings` with the secret whose key `encode` and `decode` use."""
    return dataclasses.replace(settings, secret=SECRET)


def encode(stream: Stream) -> str:
    """The token an app with SECRET makes for `stream`."""
    return playback.encode(stream, KEY)


def decode(token: object) -> Stream | None:
    """The stream a token sealed under SECRET names (None for anything else, as the app decides)."""
    return playback.decode(token, KEY)
