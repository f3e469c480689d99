"""A local stand-in for Amazon Polly's REST API on 127.0.0.1: SynthesizeSpeech answered with real espeak-ng audio.

boto3 sends SynthesizeSpeech as `POST /v1/speech` with a JSON body (Engine, VoiceId, LanguageCode,
OutputFormat, SampleRate, Text, TextType) and reads the audio from the response body; DescribeVoices
is `GET /v1/voices`. Errors are a status, an `x-amzn-ErrorType` header and a JSON message, as Polly
sends them. moto's Polly answers with no real audio, so this stand-in speaks the text with espeak-ng:
MP3 at 24 kHz or raw 16-bit PCM at 16 kHz. Point an engine at it with `endpoint_url=standin.url`.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import miniaudio

from support.gtts_standin import google_like_mp3
from support.loopback import QuietLog, RecordingStandin, StateServer, Traffic

NEURAL_VOICES = [
    {"Id": "Joanna", "LanguageCode": "en-US"}, {"Id": "Amy", "LanguageCode": "en-GB"},
    {"Id": "Olivia", "LanguageCode": "en-AU"}, {"Id": "Kajal", "LanguageCode": "en-IN"},
]


@dataclass(frozen=True, slots=True)
class Seen:
    """One SynthesizeSpeech request the stand-in received, and the status it answered."""

    voice: str
    language: str
    engine: str
    output_format: str
    sample_rate: str
    text: str
    at: float
    status: int


@dataclass(slots=True)
class Behaviour:
    """How the stand-in answers: the first `fail_first` requests fail with `fail_status` and `error_type`."""

    fail_first: int = 0
    fail_status: int = 429
    error_type: str = "ThrottlingException"
    retry_after: str | None = None
    delay: float = 0.0  # seconds to think before answering, to see how many requests overlap


@dataclass(slots=True)
class _State:
    behaviour: Behaviour
    traffic: Traffic[Seen] = field(default_factory=Traffic)
    probes: int = 0


def pcm_16k(text: str) -> bytes:
    """Raw signed 16-bit mono samples at 16 kHz, as Polly's pcm output is."""
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", "--", text], capture_output=True,
                         check=True).stdout
    return bytes(miniaudio.decode(wav, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1,
                                  sample_rate=16000).samples)


class _Handler(QuietLog, BaseHTTPRequestHandler):
    server: StateServer

    def do_GET(self) -> None:
        if not self.path.startswith("/v1/voices"):
            self._send(404, b'{"message": "unknown path"}', "application/json", "UnknownOperationException")
            return
        with self.server.state.traffic.lock:
            self.server.state.probes += 1
        voices = [{**v, "Gender": "Female", "Name": v["Id"], "SupportedEngines": ["neural"]} for v in NEURAL_VOICES]
        self._send(200, json.dumps({"Voices": voices}).encode(), "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/v1/speech":
            self._send(404, b'{"message": "unknown path"}', "application/json", "UnknownOperationException")
            return
        state = self.server.state
        failing = state.traffic.take(fail_first=state.behaviour.fail_first, delay=state.behaviour.delay)
        status = state.behaviour.fail_status if failing else 200
        state.traffic.record(Seen(body.get("VoiceId", ""), body.get("LanguageCode", ""), body.get("Engine", ""),
                                  body.get("OutputFormat", ""), body.get("SampleRate", ""), body.get("Text", ""),
                                  time.monotonic(), status))
        if failing:
            self._send(status, b'{"message": "Rate exceeded"}', "application/json", state.behaviour.error_type)
        elif body.get("OutputFormat") == "pcm":
            self._send(200, pcm_16k(body["Text"]), "audio/pcm")
        else:
            self._send(200, google_like_mp3(body["Text"], "en-us"), "audio/mpeg")

    def _send(self, status: int, body: bytes, content_type: str, error_type: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "standin")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
            if self.server.state.behaviour.retry_after is not None:
                self.send_header("Retry-After", self.server.state.behaviour.retry_after)
        self.end_headers()
        self.wfile.write(body)


class PollyStandin(RecordingStandin[Seen]):
    """Run the stand-in on 127.0.0.1 for the length of a `with` block."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.start(_Handler, _State(behaviour or Behaviour()), "polly-standin")

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def probes(self) -> int:
        """DescribeVoices requests answered (the engine's availability probe)."""
        return self.server.state.probes
