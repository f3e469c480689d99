"""Engines at work: an engine's identity (and its description), collecting the plugins' engines, choose_engine().

The TTSEngine protocol and Speech belong to the plugin contract (skill.hookspecs).
"""

from __future__ import annotations

import io
import logging
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skill.errors import NoEngineAvailable
from skill.hookspecs import Speech, TTSEngine
from skill.plugins import BandCoachPluginManager, call_each

if TYPE_CHECKING:
    from skill.config import Settings

__all__ = ["AUTO_ORDER", "EngineIdentity", "Speech", "TTSEngine", "choose_engine", "collect_engines", "describe",
           "identity", "pcm_wav"]

logger = logging.getLogger(__name__)

AUTO_ORDER = ("polly", "piper", "gtts", "espeak")
"""`BANDCOACH_TTS=auto` tries these first, best voice first (docs/audio.md, "Choosing"), then any plugin engine."""

TITLES = {
    "polly": ("Amazon Polly", ""),  # its version is the voice engine type (neural): the service has no release
    "piper": ("Piper", "piper-tts"),
    "gtts": ("Google Translate", "gTTS"),
    "espeak": ("espeak-ng", "espeak-ng"),
}
"""Built-in engine name -> (what a listener would call it, the software whose version the identity holds)."""


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


def describe(ident: EngineIdentity) -> str:
    """Which voice made the audio, for people: "Piper en_US-joe-medium@1.0.0 (piper-tts 1.8.0)".

    For ID3 tags, feeds and `audio stats`; a plugin engine reads "<name> <voice> (<name> <version>)".
    """
    title, software = TITLES.get(ident.engine, (ident.engine, ident.engine))
    return f"{title} {ident.voice} ({software} {ident.version})".replace("( ", "(")


def identity(engine: TTSEngine, locale: str) -> EngineIdentity:
    """The identity of `engine` speaking `locale`."""
    return EngineIdentity(engine.name, engine.version, engine.voice(locale), engine.rate)


def pcm_wav(pcm: bytes, rate: int) -> bytes:
    """Mono 16-bit PCM as WAV bytes: what an engine that makes raw samples (Piper, Polly's pcm) hands on as Speech."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


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
