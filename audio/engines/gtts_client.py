"""gTTS itself, behind a seam that routes its requests to BANDCOACH_GTTS_URL (a mirror or a local stand-in).

Its own module so that loading the engine plugin does not import gTTS and requests (~30 ms of
every cold start); they load when gTTS is first asked to speak.
"""

from __future__ import annotations

import gtts
import requests
from gtts.tts import gTTSError

VERSION: str = gtts.__version__
ERRORS = (gTTSError, requests.RequestException, AssertionError)
"""What a failed gTTS request raises: its own error, a transport error, or its response assertions."""

__all__ = ["ERRORS", "VERSION", "RoutedTTS", "gTTSError"]


class RoutedTTS(gtts.gTTS):
    """gTTS whose requests go to `base_url` instead of gTTS's own `default_url` (https://translate.google.<tld>).

    The seam: gTTS 2.5 builds each request in `_prepare_requests()` from a fixed host pattern and
    sends it itself, so we rewrite the host of the prepared requests and keep everything else
    (tokenising, the batchexecute payload, response parsing) as gTTS does it.
    """

    def __init__(self, text: str, *, base_url: str, default_url: str, **kwargs: object) -> None:
        super().__init__(text, **kwargs)
        self.base_url = base_url
        self.default_url = default_url

    def _prepare_requests(self) -> list[requests.PreparedRequest]:
        prepared: list[requests.PreparedRequest] = super()._prepare_requests()
        default_host = self.default_url.format(tld=self.tld)
        host = self.base_url.format(tld=self.tld).rstrip("/")
        for request in prepared:
            if request.url and request.url.startswith(default_host):
                request.url = host + request.url[len(default_host):]
        return prepared
