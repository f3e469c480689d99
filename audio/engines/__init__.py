"""Engines at work: an engine's identity, collecting the plugins' engines, and choose_engine() for this run.

The TTSEngine protocol and Speech belong to the plugin contract (skill.hookspecs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skill.errors import NoEngineAvailable
from skill.hookspecs import Speech, TTSEngine
from skill.plugins import BandCoachPluginManager, call_each

if TYPE_CHECKING:
    from skill.config import Settings

__all__ = ["AUTO_ORDER", "EngineIdentity", "Speech", "TTSEngine", "choose_engine", "collect_engines", "identity"]

logger = logging.getLogger(__name__)

AUTO_ORDER = ("gtts", "espeak")
"""`BANDCOACH_TTS=auto` tries these first (network voice, then offline), then any plugin engine."""


@dataclass(frozen=True, slots=True)
class EngineIdentity:
    """Everything about an engine that changes the sound of a prompt in one locale.

    It is part of every cache key, and the cache remembers the identity the last warm used per
    locale so the request path can compute keys without loading or probing an engine.
    """

    engine: str
    version: str
    voice: str
    rate: str


def identity(engine: TTSEngine, locale: str) -> EngineIdentity:
    """The identity of `engine` speaking `locale`."""
    return EngineIdentity(engine.name, engine.version, engine.voice(locale), engine.rate)


def collect_engines(pm: BandCoachPluginManager, settings: Settings) -> list[TTSEngine]:
    """Every engine the plugins offer, in plugin order; a plugin that raises is skipped."""
    engines: list[TTSEngine] = []
    for plugin, offered in call_each(pm, "bandcoach_tts_engines", settings=settings):
        items = offered if isinstance(offered, list | tuple) else [offered]
        for engine in items:
            if isinstance(engine, TTSEngine):
                engines.append(engine)
            else:
                logger.error("plugin %r offered %r, which is not a TTS engine; skipped", plugin, engine)
    return engines


def preference(tts: str, engines: Iterable[TTSEngine]) -> list[str]:
    """Engine names in the order `BANDCOACH_TTS` asks for them."""
    names = [e.name for e in engines]
    wanted = [part.strip().lower() for part in tts.split(",") if part.strip()] or ["auto"]
    order: list[str] = []
    for name in wanted:
        expanded = [*AUTO_ORDER, *names] if name == "auto" else [name]
        order.extend(n for n in expanded if n not in order)
    return order


def choose_engine(settings: Settings, engines: Iterable[TTSEngine]) -> TTSEngine:
    """The first available engine in the order `settings.tts` gives; probed once, here.

    Call it once per run (a warm, an export) and keep the result: a network engine's probe is a
    real request. Raises NoEngineAvailable, saying why each candidate was refused.
    """
    engines = list(engines)
    by_name = {e.name: e for e in reversed(engines)}  # the first engine offered under a name wins
    refused: list[str] = []
    for name in preference(settings.tts, engines):
        engine = by_name.get(name)
        if engine is None:
            if name not in AUTO_ORDER or settings.tts.strip().lower() != "auto":
                refused.append(f"{name}: no plugin offers it")
            continue
        try:
            ok = engine.available()
        except Exception as exc:  # a plugin's probe must not stop the choice
            logger.exception("engine %r failed its availability check", name)
            ok, why = False, f"{type(exc).__name__}: {exc}"
        else:
            why = getattr(engine, "unavailable_reason", "") or "not available"
        if ok:
            logger.info("speech engine: %s %s", engine.name, engine.version)
            return engine
        refused.append(f"{name}: {why}")
    raise NoEngineAvailable("; ".join(refused) or "no engine is installed")
