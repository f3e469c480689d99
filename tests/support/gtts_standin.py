"""A local stand-in for Google Translate's TTS endpoint that speaks gTTS's batchexecute protocol on 127.0.0.1.

gTTS POSTs `f.req=<urlencoded JSON>` to `<host>/_/TranslateWebserverUi/data/batchexecute`, where the
JSON is `[[["jQ1olc", "[text, lang, speed, \"null\"]", null, "generic"]]]`, and reads back a line
holding `"jQ1olc","[\"<base64 MP3>\"]"`. The stand-in answers with real audio: espeak-ng speaks the
text and lameenc encodes it as Google does (MPEG-2 Layer III, 24 kHz, 32 kbps, mono). Point the
engine at it with `base_url=standin.url` (a template whose `{tld}` lands in the path, so tests can
see which accent domain was asked).
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import lameenc
import miniaudio

from support.loopback import QuietLog, RecordingStandin, StateServer, Traffic

RPC = "jQ1olc"
PATH_SUFFIX = "/_/TranslateWebserverUi/data/batchexecute"


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the stand-in received."""

    tld: str
    text: str
    lang: str
    at: float
    status: int


@dataclass(slots=True)
class Behaviour:
    """How the stand-in answers: `fail_first` requests get `fail_status`; `always_fail` fails them all."""

    fail_first: int = 0
    fail_status: int = 429
    always_fail: bool = False
    retry_after: str | None = None
    delay: float = 0.0  # seconds to think before answering, to see how many requests overlap


@dataclass(slots=True)
class _State:
    behaviour: Behaviour
    traffic: Traffic[Seen] = field(default_factory=Traffic)


def google_like_mp3(text: str, lang: str) -> bytes:
    """MP3 as Google sends it: espeak-ng speech at 24 kHz, 32 kbps, mono."""
    wav = subprocess.run(["espeak-ng", "-v", lang, "--stdout", "--", text], capture_output=True, check=True).stdout
    pcm = miniaudio.decode(wav, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=24000)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(24000)
    encoder.set_channels(1)
    encoder.silence()
    return bytes(encoder.encode(bytes(pcm.samples)) + encoder.flush())


def batchexecute_body(audio: bytes) -> bytes:
    """The response framing gTTS parses: an anti-XSSI prefix, a length line, then the RPC array."""
    payload = json.dumps([["wrb.fr", RPC, json.dumps([base64.b64encode(audio).decode()]), None, None, None,
                           "generic"], ["di", 42]], separators=(",", ":"))
    return f")]}}'\n\n{len(payload)}\n{payload}\n".encode()


class _Handler(QuietLog, BaseHTTPRequestHandler):
    server: StateServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        tld = self.path.removesuffix(PATH_SUFFIX).strip("/")
        if not self.path.endswith(PATH_SUFFIX) or "f.req" not in form:
            self._answer(404, b"not a batchexecute request", tld, "", "")
            return
        rpc = json.loads(form["f.req"][0])
        text, lang = json.loads(rpc[0][0][1])[:2]
        state = self.server.state
        failing = state.traffic.take(fail_first=state.behaviour.fail_first, delay=state.behaviour.delay,
                                     always_fail=state.behaviour.always_fail)
        if failing:
            self._answer(state.behaviour.fail_status, b"try later", tld, text, lang)
        else:
            self._answer(200, batchexecute_body(google_like_mp3(text, lang)), tld, text, lang)

    def _answer(self, status: int, body: bytes, tld: str, text: str, lang: str) -> None:
        state = self.server.state
        state.traffic.record(Seen(tld, text, lang, time.monotonic(), status))
        self.send_response(status)
        if status != 200 and state.behaviour.retry_after is not None:
            self.send_header("Retry-After", state.behaviour.retry_after)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class GttsStandin(RecordingStandin[Seen]):
    """Run the stand-in on 127.0.0.1 for the length of a `with` block."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.start(_Handler, _State(behaviour or Behaviour()), "gtts-standin")

    @property
    def url(self) -> str:
        """A `BANDCOACH_GTTS_URL` template for this server."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/{{tld}}"

