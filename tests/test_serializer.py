"""EnvelopeSerializer gives exactly what ask-sdk's DefaultSerializer gives, by the faster road."""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope
from ask_sdk_model.interfaces.audioplayer import PlayBehavior

from skill import testing
from skill.config import Settings
from skill.handlers.endpoint import KNOWN_REQUEST_TYPES
from skill.handlers.serializer import EnvelopeSerializer
from skill.runtime import build_runtime

ENVELOPES = sorted((Path(__file__).parent / "envelopes").glob("*.json"))
MODEL = "ask_sdk_model.request_envelope.RequestEnvelope"


def both(text: str) -> tuple[object, object]:
    return EnvelopeSerializer().deserialize(text, MODEL), DefaultSerializer().deserialize(text, MODEL)


def outcome(serializer: DefaultSerializer, text: str) -> object:
    """The model object, or the type of the error (an unknown request type cannot be modelled)."""
    try:
        return serializer.deserialize(text, MODEL)
    except SerializationException as exc:
        return type(exc)


def read_outcome(text: str) -> object:
    """What EnvelopeSerializer.read makes of the parsed text: the model object, or the type of the error."""
    try:
        return EnvelopeSerializer().read(json.loads(text), MODEL)
    except SerializationException as exc:
        return type(exc)


def launch_at(stamp: str) -> str:
    """A LaunchRequest envelope whose request timestamp is `stamp`, as JSON text."""
    envelope = testing.launch_request()
    envelope["request"]["timestamp"] = stamp
    return json.dumps(envelope)


@pytest.mark.parametrize("path", ENVELOPES, ids=lambda p: p.stem)
def test_every_envelope_deserialises_to_what_the_stock_serializer_gives(path: Path) -> None:
    text = path.read_text()
    assert outcome(EnvelopeSerializer(), text) == outcome(DefaultSerializer(), text)


@pytest.mark.parametrize("path", ENVELOPES, ids=lambda p: p.stem)
def test_reading_parsed_data_gives_what_the_stock_serializer_gives_for_its_text(path: Path) -> None:
    text = path.read_text()
    assert read_outcome(text) == outcome(DefaultSerializer(), text)


# Envelopes ask-sdk reads in odd ways: a wrong type where a model is expected, an unknown key (kept raw as an
# attribute), a null, a value its primitive cast refuses or passes through, a bad enum or discriminator.
ODD_ENVELOPES = {
    "request is a string": {"version": "1.0", "request": "LaunchRequest"},
    "request is a list": {"version": "1.0", "request": []},
    "request is a number": {"version": "1.0", "request": 7},
    "empty request type": {"version": "1.0", "request": {"type": ""}},
    "unknown top-level key": {"version": "1.0", "shiny": {"a": [1, 2]}, "request": {"type": "LaunchRequest"}},
    "null session": {"version": "1.0", "session": None, "request": {"type": "LaunchRequest"}},
    "session new as a string": {"version": "1.0", "session": {"new": "yes"}, "request": {"type": "LaunchRequest"}},
    "session attributes a list": {"version": "1.0", "session": {"attributes": [1]}},
    "bad enum": {"version": "1.0", "request": {"type": "IntentRequest", "dialogState": "DANCING"}},
    "slots not a mapping": {"version": "1.0", "request": {"type": "IntentRequest", "intent": {"slots": 3}}},
    "version a number": {"version": 1.5, "request": {"type": "SessionEndedRequest", "reason": "USER_INITIATED"}},
    "nested unknown keys": {"context": {"System": {"device": {"supportedInterfaces": {"Zap": {}}, "x": 1}}}},
}


@pytest.mark.parametrize("envelope", ODD_ENVELOPES.values(), ids=list(ODD_ENVELOPES))
def test_reading_odd_envelopes_gives_what_the_stock_serializer_gives(envelope: dict[str, object]) -> None:
    text = json.dumps(envelope)
    assert read_outcome(text) == outcome(DefaultSerializer(), text)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> list[ResponseEnvelope]:
    """The skill's own answers (model objects) to every envelope it can model: what the endpoint serialises."""
    home = tmp_path_factory.mktemp("answers")
    runtime = build_runtime(Settings.from_env({"BANDCOACH_DATA_DIR": str(home), "BANDCOACH_CACHE_DIR": str(home),
                                               "BANDCOACH_LOAD_PLUGINS": "bandcoach", "BANDCOACH_VERIFY": "0"}))
    found = []
    for path in ENVELOPES:
        envelope = json.loads(path.read_text())
        if envelope["request"]["type"] in KNOWN_REQUEST_TYPES:
            found.append(runtime.endpoint.skill.invoke(request_envelope=EnvelopeSerializer().read(envelope, MODEL),
                                                       context=None))
    return found


def test_every_answer_serialises_to_what_the_stock_serializer_gives(answers: list[ResponseEnvelope]) -> None:
    assert len(answers) > 20
    for answer in answers:
        ours, stock = EnvelopeSerializer().serialize(answer), DefaultSerializer().serialize(answer)
        assert json.dumps(ours) == json.dumps(stock)  # same keys in the same order, same values


@pytest.mark.parametrize("value", [
    (1, "a"), date(2026, 12, 7), datetime(2026, 12, 7, 6, 30, tzinfo=UTC), Decimal("2.5"), Decimal("3"),
    PlayBehavior.ENQUEUE, {"nested": [Decimal("1.0"), {"deep": None}]}, OrderedDict(a=1), True, b"bytes",
], ids=repr)
def test_values_that_are_not_models_serialise_as_before(value: object) -> None:
    assert EnvelopeSerializer().serialize(value) == DefaultSerializer().serialize(value)


def test_reading_null_gives_none() -> None:
    assert EnvelopeSerializer().read(None, MODEL) is None


@pytest.mark.parametrize("stamp", ["2026-11-28T07:43:47Z", "2026-11-28T07:43:47.123Z", "2026-11-28T08:43:47+01:00",
                                   "2026-11-28T07:43:47", "2026-11-28"])
def test_iso_timestamps_parse_to_dateutils_value(stamp: str) -> None:
    ours, stock = both(launch_at(stamp))
    assert ours.request.timestamp == stock.request.timestamp
    assert ours.request.timestamp.utcoffset() == stock.request.timestamp.utcoffset()


def test_a_timestamp_that_is_not_iso_8601_still_parses_through_dateutil() -> None:
    ours, stock = both(launch_at("Sat, 28 Nov 2026 07:43:47 GMT"))
    assert ours.request.timestamp == stock.request.timestamp


def test_an_unreadable_timestamp_is_refused_as_before() -> None:
    text = launch_at("not a time")
    with pytest.raises(SerializationException):
        DefaultSerializer().deserialize(text, MODEL)
    with pytest.raises(SerializationException):
        EnvelopeSerializer().deserialize(text, MODEL)


def test_a_date_type_gets_a_date() -> None:
    assert EnvelopeSerializer()._DefaultSerializer__deserialize_datetime("2026-11-28", date) == date(2026, 11, 28)


def test_an_unknown_class_is_refused_and_not_remembered() -> None:
    with pytest.raises(SerializationException):
        EnvelopeSerializer().deserialize("{}", "ask_sdk_model.no_such_module.NoSuchModel")
    assert "ask_sdk_model.no_such_module.NoSuchModel" not in EnvelopeSerializer._classes


def test_the_private_methods_it_overrides_still_exist_in_ask_sdk() -> None:
    """If ask-sdk renames them the answers stay right but the speed-up is gone: this says so."""
    for name in ("_DefaultSerializer__load_class_from_name", "_DefaultSerializer__deserialize_datetime"):
        assert callable(getattr(DefaultSerializer, name, None)), f"ask-sdk no longer has {name}"
