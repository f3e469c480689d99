"""The floor for the HTTP benchmarks: the smallest ask-sdk-core skill behind Flask and waitress.

A LaunchRequest handler and one intent handler, served exactly as `bandcoach serve` serves Band Coach
(same WSGI server, thread count and JSON (de)serialisation), so the gap between the two is what Band
Coach itself costs. Run: python bench/floor_skill.py --port 8000
"""

from __future__ import annotations

import argparse
import json

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from flask import Flask, jsonify, request

ENVELOPE = "ask_sdk_model.request_envelope.RequestEnvelope"


class LaunchHandler(AbstractRequestHandler):
    """LaunchRequest: a welcome and a reprompt."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        speech = "<speak>Welcome to the floor skill. Say hello.</speak>"
        return handler_input.response_builder.speak(speech).ask(speech).response


class HelloHandler(AbstractRequestHandler):
    """HelloIntent: one sentence, session kept open with a session attribute."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("HelloIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        handler_input.attributes_manager.session_attributes = {"greeted": True}
        speech = "<speak>Hello from the floor skill.</speak>"
        return handler_input.response_builder.speak(speech).ask(speech).response


def create_app() -> Flask:
    builder = SkillBuilder()
    builder.add_request_handler(LaunchHandler())
    builder.add_request_handler(HelloHandler())
    skill = builder.create()
    serializer = DefaultSerializer()
    app = Flask(__name__)

    @app.post("/alexa")
    def alexa():
        envelope = serializer.deserialize(json.dumps(request.get_json()), ENVELOPE)
        return jsonify(serializer.serialize(skill.invoke(request_envelope=envelope, context=None)))

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    import waitress

    waitress.serve(create_app(), host="127.0.0.1", port=args.port, threads=args.threads, ident="floor")


if __name__ == "__main__":
    main()
