"""Checks every response must pass: ask-sdk-model deserialises it and its SSML keeps Alexa's limits."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from skill import ssml

_SERIALIZER = DefaultSerializer()


def check_ssml(text: str) -> ET.Element:
    """Parse SSML and assert Alexa's limits: <speak> root, length, breaks, audio tags."""
    assert len(text) <= ssml.MAX_CHARS, f"SSML is {len(text)} characters"
    root = ET.fromstring(text)
    assert root.tag == "speak"
    for brk in root.iter("break"):
        ms = re.fullmatch(r"(\d+)ms", brk.get("time", ""))
        assert ms and int(ms.group(1)) <= 10_000, brk.attrib
    assert len(list(root.iter("audio"))) <= ssml.MAX_AUDIO_TAGS
    return root


def check_response(data: dict[str, Any]) -> ResponseEnvelope:
    """Deserialise a response envelope with ask-sdk-model and check every SSML string in it."""
    envelope = _SERIALIZER.deserialize(json.dumps(data), "ask_sdk_model.response_envelope.ResponseEnvelope")
    assert isinstance(envelope, ResponseEnvelope)
    body = data.get("response") or {}
    for speech in (body.get("outputSpeech"), (body.get("reprompt") or {}).get("outputSpeech")):
        if speech and speech.get("type") == "SSML":
            check_ssml(speech["ssml"])
    assert len(json.dumps(data).encode()) <= 120 * 1024
    return envelope


def speech_of(data: dict[str, Any]) -> str:
    """The plain text a person would hear."""
    return ssml.plain_text(((data.get("response") or {}).get("outputSpeech") or {}).get("ssml", ""))


def answered(post: Any, envelope: dict[str, Any]) -> dict[str, Any]:
    """POST an envelope with the `post` fixture, insist on a 200, check and return the response."""
    reply = post(envelope)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    data = reply.get_json()
    check_response(data)
    return data
