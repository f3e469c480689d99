"""A conversation with the skill in-process: utterances in, what Alexa would say out, session kept."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from skill import ssml, testing
from skill.testing.utterances import Resolution, UtteranceResolver


@dataclass(frozen=True, slots=True)
class Turn:
    """One exchange: the request sent, the status and response envelope, and the speech as text."""

    request: dict[str, Any]
    status: int
    response: dict[str, Any]

    @property
    def body(self) -> dict[str, Any]:
        return self.response.get("response") or {}

    @property
    def ssml(self) -> str:
        text: str = (self.body.get("outputSpeech") or {}).get("ssml", "")
        return text

    @property
    def speech(self) -> str:
        return ssml.plain_text(self.ssml)

    @property
    def reprompt(self) -> str:
        return ssml.plain_text(((self.body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""))

    @property
    def ends_session(self) -> bool:
        return bool(self.body.get("shouldEndSession", not self.body.get("reprompt")))

    @property
    def directives(self) -> list[dict[str, Any]]:
        return list(self.body.get("directives") or [])


@dataclass
class Conversation:
    """Talks to a Band Coach app through its HTTP route, keeping session attributes between turns."""

    app: Flask
    model: dict[str, Any]
    locale: str = "en-US"
    user_id: str = testing.DEFAULT_USER_ID
    attributes: dict[str, Any] = field(default_factory=dict)
    in_session: bool = False
    session_id: str = ""
    transcript: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.resolver = UtteranceResolver(self.model)
        self.client = self.app.test_client()

    def say(self, utterance: str) -> Turn:
        """Resolve and send one utterance (NoMatch propagates, naming close matches)."""
        resolution = self.resolver.resolve(utterance)
        turn = self.send(self.envelope_for(resolution))
        self.transcript.append((utterance, turn.speech))
        return turn

    def envelope_for(self, resolution: Resolution) -> dict[str, Any]:
        new = resolution.launched or not self.in_session
        if new:
            self.attributes, self.session_id = {}, testing.envelope({})["session"]["sessionId"]
        common = {"new": new, "locale": self.locale, "user_id": self.user_id,
                  "session_attributes": self.attributes, "session_id": self.session_id}
        if resolution.intent is None:
            return testing.launch_request(**common)
        slots: dict[str, testing.SlotSpec] = {
            name: (m.value, m.resolved_id) if m.custom else m.value for name, m in resolution.slots.items()
        }
        return testing.intent_request(resolution.intent, slots, **common)

    def send(self, envelope: dict[str, Any]) -> Turn:
        """Post a raw envelope; the session continues unless the response ends it."""
        reply = self.client.post("/alexa", data=json.dumps(envelope), content_type="application/json")
        data = reply.get_json(silent=True) or {}
        turn = Turn(envelope, reply.status_code, data)
        if reply.status_code == 200 and "session" in envelope:
            self.in_session = not turn.ends_session
            self.attributes = data.get("sessionAttributes") or {} if self.in_session else {}
        return turn
