"""Benchmark how intelligible each engine's voice is: word error rate of an offline recogniser, and synthesis time.

Every distinct cue text of the built-in routines (audio.warm.cue_texts, en-US) is spoken by each
available engine (piper, espeak, and gtts or polly when reachable), turned into the MP3 a runner
hears (audio.mp3.to_alexa_mp3), decoded to 16 kHz mono and transcribed by pocketsphinx with the US
English model its wheel bundles. WER = word edits / reference words over all cues, after numbers
become words and punctuation goes. Run `python bench/bench_voice.py [--cues N] [--quick]`; prints
markdown (`--quick`: 6 cues, a harness check in seconds, not a measurement).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the recogniser is shared with the tests

from support.recogniser import start, transcribe

from audio import mp3
from audio.engines import TTSEngine, collect_engines, describe, identity
from audio.warm import cue_texts
from skill.catalog import Catalog
from skill.config import Settings
from skill.plugins import make_plugin_manager

LOCALE = "en-US"  # pocketsphinx's bundled model is US English
ENGINES = ("piper", "espeak", "gtts", "polly")
BASELINE = "espeak"
TARGET_RATIO = 0.6  # issue 15: Piper's WER at most 0.6 x espeak-ng's
QUICK_CUES = 6

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """0..999_999 in words, as a recogniser writes them: 45 -> "forty five", 120 -> "one hundred twenty"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))


def words(text: str) -> list[str]:
    """Lower-case words with numbers spelt out and punctuation dropped (apostrophes kept: "here's")."""
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text.lower())
    return re.sub(r"[^a-z' ]+", " ", text.replace("-", " ")).split()


def word_edits(reference: Sequence[str], heard: Sequence[str]) -> int:
    """Levenshtein distance in words: substitutions, deletions and insertions turning `reference` into `heard`."""
    previous = list(range(len(heard) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(heard, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def wer(pairs: Sequence[tuple[str, str]]) -> float:
    """Corpus word error rate of (reference text, transcript) pairs: all edits over all reference words."""
    edits = sum(word_edits(words(ref), words(hyp)) for ref, hyp in pairs)
    return edits / max(1, sum(len(words(ref)) for ref, _ in pairs))


@dataclass(slots=True)
class EngineResult:
    """One engine's run: its voice, each cue's text and transcript, and the seconds spent synthesising each."""

    name: str
    description: str
    pairs: list[tuple[str, str]] = field(default_factory=list)
    synthesis: list[float] = field(default_factory=list)
    audio_seconds: float = 0.0

    @property
    def wer(self) -> float:
        return wer(self.pairs)


def run_engine(engine: TTSEngine, texts: Sequence[str], pool: ProcessPoolExecutor) -> EngineResult:
    """Speak every text with `engine` here (timed), and transcribe each in the pool while the next is spoken."""
    result = EngineResult(engine.name, describe(identity(engine, LOCALE)))
    prepare = getattr(engine, "prepare", None)
    if callable(prepare):
        prepare()  # load the model outside the timings: a warm loads it once per worker
    heard: list[Future[str]] = []
    for text in texts:
        start = time.perf_counter()
        speech = engine.synthesize(text, LOCALE)
        result.synthesis.append(time.perf_counter() - start)
        heard_mp3 = mp3.to_alexa_mp3(speech.data)
        result.audio_seconds += mp3.duration(heard_mp3)
        heard.append(pool.submit(transcribe, heard_mp3))
    result.pairs = [(text, future.result()) for text, future in zip(texts, heard, strict=True)]
    return result


def available_engines() -> list[TTSEngine]:
    """The engines this machine can run now, best first (gTTS and Polly only when reachable and configured)."""
    settings = Settings.from_env()
    offered = {e.name: e for e in collect_engines(make_plugin_manager(settings), settings)}
    ready = []
    for name in ENGINES:
        engine = offered.get(name)
        if engine is not None and engine.available():
            ready.append(engine)
        elif engine is not None:
            print(f"<!-- {name} skipped: {getattr(engine, 'unavailable_reason', '') or 'not available'} -->")
    return ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cues", type=int, help="Only the first N distinct cue texts (default: all of them).")
    parser.add_argument("--every", type=int, default=1, help="Take every Nth cue text (a spread-out sample).")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CUES} cues: a harness check in seconds.")
    parser.add_argument("--show", type=int, default=0, help="Print the first N transcripts of each engine.")
    args = parser.parse_args()
    catalog = Catalog.build(make_plugin_manager(Settings(load_plugins=("bandcoach",))))
    texts = cue_texts(catalog, locale=LOCALE)[:: args.every]
    texts = texts[: args.cues or (QUICK_CUES if args.quick else None)]
    engines = available_engines()
    results: dict[str, EngineResult] = {}
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, initializer=start) as pool:
        for engine in engines:
            results[engine.name] = run_engine(engine, texts, pool)

    reference_words = sum(len(words(t)) for t in texts)
    print(f"## Voice intelligibility: {len(texts)} distinct cue texts ({reference_words} words), "
          f"pocketsphinx en-US, {LOCALE}\n")
    print("| engine | voice | WER | vs espeak-ng | synthesis ms per cue (median, wall) | wall s per s of audio |")
    print("| --- | --- | --- | --- | --- | --- |")
    base = results.get(BASELINE)
    for result in results.values():
        ratio = f"{result.wer / base.wer:.2f}x" if base and base.wer else "n/a"
        rtf = sum(result.synthesis) / max(result.audio_seconds, 1e-9)
        print(f"| {result.name} | {result.description} | {result.wer:.1%} | {ratio} | "
              f"{statistics.median(result.synthesis) * 1000:.0f} | {rtf:.3f} |")
    piper = results.get("piper")
    if piper and base and base.wer:
        ratio = piper.wer / base.wer
        verdict = "meets" if ratio <= TARGET_RATIO else "misses"
        print(f"\nPiper WER / espeak-ng WER = {ratio:.2f} ({verdict} the target of {TARGET_RATIO}).")
    for result in results.values():
        for text, heard in result.pairs[: args.show]:
            print(f"\n- {result.name}: {text!r}\n  heard: {heard!r}")


if __name__ == "__main__":
    main()
