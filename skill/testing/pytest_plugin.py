"""A pytest plugin that runs YAML conversation files against the skill in-process, turn by turn.

Registered through the `pytest11` entry point, so any project with bandcoach installed can write
`conversations/*.yaml` (or `conversation_*.yaml`) files; docs/testing.md describes the format.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

TURN_KEYS = {"say", "request", "expect"}
EXPECT_KEYS = {"speech", "not_speech", "reprompt", "end_session", "directives", "attributes", "status", "silent"}
BUILDERS = {"launch", "intent", "session_ended", "audio_player", "playback_controller", "envelope"}
MISSING = object()


class ConversationError(Exception):
    """A conversation file that cannot be run as written: what is wrong, and how to fix it."""


class TurnFailed(AssertionError):
    """A turn's response did not meet its expectations."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("bandcoach_conversations", "Glob patterns (file names) of conversation files, besides any "
                  "*.yaml inside a directory called 'conversations'.", type="args",
                  default=["conversation_*.yaml", "conversation_*.yml"])
    parser.addini("bandcoach_load_plugins", "BANDCOACH_LOAD_PLUGINS for the app under test (comma-separated "
                  "distributions); default: built-ins only.", default="bandcoach")
    parser.addini("bandcoach_locale", "Default locale of conversations.", default="en-US")
    parser.addini("bandcoach_app_factory", "Optional 'module:function' that takes skill.config.Settings and "
                  "returns the Flask app to talk to (full control for plugin authors).", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conversation: a YAML conversation run by skill.testing.pytest_plugin")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect YAML files inside a `conversations` directory, or named like the configured patterns."""
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    in_dir = file_path.parent.name == "conversations"
    patterns = parent.config.getini("bandcoach_conversations")
    if in_dir or any(file_path.match(p) for p in patterns):
        return ConversationFile.from_parent(parent, path=file_path)
    return None


@dataclass
class Script:
    """One conversation as written: its turns and options."""

    name: str
    turns: list[dict[str, Any]]
    locale: str | None = None
    user: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse(data: Any, default_name: str) -> list[Script]:
    """A file's conversations: a list of turns is one conversation; a mapping holds several by name."""
    if isinstance(data, list):
        return [Script(default_name, data)]
    if isinstance(data, dict):
        scripts = []
        for name, body in data.items():
            if isinstance(body, list):
                scripts.append(Script(str(name), body))
            elif isinstance(body, dict) and isinstance(body.get("turns"), list):
                unknown = set(body) - {"turns", "locale", "user"}
                if unknown:
                    raise ConversationError(f"conversation {name!r}: unknown keys {sorted(unknown)}; "
                                            "use turns, locale and user")
                scripts.append(Script(str(name), body["turns"], body.get("locale"), body.get("user")))
            else:
                raise ConversationError(f"conversation {name!r} must be a list of turns or a mapping with 'turns'")
        return scripts
    raise ConversationError("a conversation file holds a list of turns, or a mapping of name -> turns")


class ConversationFile(pytest.File):
    """A YAML file of one or more conversations; each becomes a test item."""

    def collect(self) -> Iterator[ConversationItem]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
            scripts = parse(data, self.path.stem)
        except (yaml.YAMLError, ConversationError) as exc:
            raise self.CollectError(f"{self.path}: {exc}") from exc
        for script in scripts:
            yield ConversationItem.from_parent(self, name=script.name, script=script)


class ConversationItem(pytest.Item):
    """One conversation, run through skill.testing.conversation.Conversation like `bandcoach say`."""

    def __init__(self, *, script: Script, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.script = script
        self.transcript: list[str] = []
        self.add_marker("conversation")

    def runtest(self) -> None:
        with tempfile.TemporaryDirectory(prefix="bandcoach-conversation-") as home:
            convo = self._conversation(Path(home))
            for number, turn in enumerate(self.script.turns, 1):
                self._run_turn(convo, number, turn)

    def _conversation(self, home: Path) -> Any:
        from skill.config import Settings
        from skill.model import build_model
        from skill.plugins import make_plugin_manager
        from skill.testing.conversation import Conversation

        config = self.config
        allow = tuple(p.strip() for p in config.getini("bandcoach_load_plugins").split(",") if p.strip())
        settings = Settings(verify=False, load_plugins=allow, data_dir=home / "data", cache_dir=home / "cache",
                            tts="espeak")
        locale = self.script.locale or config.getini("bandcoach_locale")
        factory = config.getini("bandcoach_app_factory")
        app = load_factory(factory)(settings) if factory else _default_app(settings, make_plugin_manager(settings))
        runtime = app.extensions["bandcoach"]
        convo = Conversation(app, build_model(runtime.catalog, locale), locale=locale)
        if self.script.user:
            convo.user_id = self.script.user
        return convo

    def _run_turn(self, convo: Any, number: int, turn: Any) -> None:
        if not isinstance(turn, dict) or not turn.keys() & {"say", "request"} or set(turn) - TURN_KEYS:
            raise ConversationError(f"turn {number} must be a mapping with 'say' or 'request' (and optional "
                                    f"'expect'), got {turn!r}")
        if "say" in turn:
            label = f"you: {turn['say']}"
            result = convo.say(str(turn["say"]))
        else:
            label = f"request: {_short(turn['request'])}"
            result = convo.send(build_request(turn["request"], convo))
        said = result.speech or "(no speech)"
        self.transcript.append(f"{number:>3}. {label}\n     alexa: {said}"
                               + (f"\n     reprompt: {result.reprompt}" if result.reprompt else ""))
        problems = check(result, turn.get("expect") or {})
        if problems:
            raise TurnFailed(f"turn {number} ({label}): " + "; ".join(problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from skill.errors import BandCoachError

        exc = excinfo.value
        if isinstance(exc, TurnFailed | ConversationError | BandCoachError):
            heading = f"conversation {self.script.name!r} in {self.path.name} failed:\n  {exc}"
        else:
            heading = str(super().repr_failure(excinfo, style))
        transcript = "\n".join(self.transcript) or "   (no turns ran)"
        return f"{heading}\n\ntranscript so far:\n{transcript}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"conversation: {self.script.name}"


def _default_app(settings: Any, pm: Any) -> Any:
    from skill.web.app import create_app

    return create_app(settings, pm=pm)


def load_factory(spec: str) -> Callable[[Any], Any]:
    """The app factory named by 'module:function' in the bandcoach_app_factory ini option."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ConversationError(f"bandcoach_app_factory={spec!r} is not 'module:function'; fix the ini option")
    factory: Callable[[Any], Any] = getattr(importlib.import_module(module), name)
    return factory


def build_request(spec: Any, convo: Any) -> dict[str, Any]:
    """An envelope from a turn's `request`: a named builder ({launch: {}}, {intent: {name, slots}}...), a raw
    `envelope`, or raw request fields (with a `type`), sent in the conversation's current session."""
    from skill import testing

    if not isinstance(spec, dict) or not spec:
        raise ConversationError(f"request must be a mapping, got {spec!r}")
    session = {"new": not convo.in_session, "locale": convo.locale, "user_id": convo.user_id,
               "session_attributes": convo.attributes, "session_id": convo.session_id or None}
    if "type" in spec:
        return testing.envelope(dict(spec), **session)
    (kind, args), *rest = spec.items()
    if rest or kind not in BUILDERS:
        raise ConversationError(f"request {spec!r}: use one of {sorted(BUILDERS)}, or raw request fields with 'type'")
    args = args or {}
    if kind == "envelope":
        return dict(args)
    if kind == "launch":  # a launch always opens a fresh session
        return testing.launch_request(**{**session, "new": True, "session_attributes": {}, "session_id": None,
                                         **args})
    if kind == "intent":
        slots = {k: tuple(v) if isinstance(v, list) else v for k, v in (args.get("slots") or {}).items()}
        return testing.intent_request(args["name"], slots, **session)
    if kind == "session_ended":
        return testing.session_ended_request(args.get("reason", "USER_INITIATED"), **session)
    device = {"locale": convo.locale, "user_id": convo.user_id}
    if kind == "audio_player":
        return testing.audio_player_request(args["kind"], args.get("token"), int(args.get("offset_ms", 0)), **device)
    return testing.playback_controller_request(args["command"], **device)


def check(result: Any, expect: dict[str, Any]) -> list[str]:
    """Every way `result` (a skill.testing.conversation.Turn) misses `expect`; empty when it meets them all."""
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        raise ConversationError(f"unknown expectations {sorted(unknown)}; use {sorted(EXPECT_KEYS)}")
    problems = []
    status = expect.get("status", 200)
    if result.status != status:
        problems.append(f"HTTP status {result.status}, expected {status}")
    speech, reprompt = result.speech.lower(), result.reprompt.lower()
    problems += [f"speech lacks {p!r}" for p in _strings(expect.get("speech")) if p.lower() not in speech]
    problems += [f"speech contains {p!r}" for p in _strings(expect.get("not_speech")) if p.lower() in speech]
    problems += [f"reprompt lacks {p!r}" for p in _strings(expect.get("reprompt")) if p.lower() not in reprompt]
    if expect.get("silent") and (result.ssml or result.reprompt):
        problems.append("expected no speech and no reprompt")
    if "end_session" in expect and result.ends_session != bool(expect["end_session"]):
        problems.append(f"session {'ends' if result.ends_session else 'stays open'}, expected "
                        f"end_session: {expect['end_session']}")
    types = [d.get("type") for d in result.directives]
    problems += [f"no {t} directive (got {types})" for t in _strings(expect.get("directives")) if t not in types]
    attributes = result.response.get("sessionAttributes") or {}
    for path, wanted in (expect.get("attributes") or {}).items():
        found = dig(attributes, str(path))
        if wanted is None and found is MISSING:
            continue  # null means "absent or null"
        if found != wanted:
            shown = "missing" if found is MISSING else repr(found)
            problems.append(f"attribute {path} is {shown}, expected {wanted!r}")
    return problems


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ("position.block"), or MISSING."""
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return MISSING
    return data


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _short(spec: Any) -> str:
    text = str(spec)
    return text if len(text) <= 80 else text[:77] + "..."
