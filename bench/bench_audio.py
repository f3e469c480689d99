"""Benchmark the audio pipeline: cold warm throughput with espeak-ng, its stages, and serving a cached prompt.

Run `python bench/bench_audio.py [--cues N] [--quick]`; prints markdown tables (`--quick`: 12 cues and
30 requests, a harness check in seconds, not a measurement). Baselines run beside the
measurements: one worker for the warm, reading the file directly for serving.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask

from audio import mp3
from audio.cache import AudioCache
from audio.engines.espeak import EspeakEngine
from audio.warm import cue_texts, warm, worker_count
from skill.catalog import Catalog
from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.web.audio import audio_blueprint


def catalog_texts(limit: int | None) -> list[str]:
    """The built-in routines' distinct cue texts (every routine, variant and band), optionally the first `limit`."""
    catalog = Catalog.build(make_plugin_manager(Settings(load_plugins=("bandcoach",))))
    texts = cue_texts(catalog, locale="en-US")
    return texts[:limit] if limit else texts


def cold_warm(texts: list[str], workers: int) -> tuple[float, float]:
    """Seconds for a warm into an empty cache, and the seconds of audio made."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        report = warm(AudioCache(folder), EspeakEngine(), texts, "en-US", workers=workers)
        elapsed = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"{report.failed} prompts failed: {report.failures[:3]}")
    return elapsed, report.duration


def stages(texts: list[str]) -> dict[str, float]:
    """Mean milliseconds per cue for each stage, on one core."""
    engine, spent = EspeakEngine(), {"synthesis (espeak-ng)": 0.0, "decode+trim+level": 0.0, "encode (LAME)": 0.0}
    for text in texts:
        t0 = time.perf_counter()
        wav = engine.synthesize(text, "en-US").data
        t1 = time.perf_counter()
        samples = mp3.normalise(mp3.trim(mp3.decode(wav)))
        t2 = time.perf_counter()
        mp3.encode(samples)
        t3 = time.perf_counter()
        spent["synthesis (espeak-ng)"] += t1 - t0
        spent["decode+trim+level"] += t2 - t1
        spent["encode (LAME)"] += t3 - t2
    return {name: 1000 * total / len(texts) for name, total in spent.items()}


def per_call(fn: Callable[[], object], rounds: int) -> float:
    """Median microseconds of `fn` over `rounds` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def serving(rounds: int) -> tuple[float, float, float]:
    """Median microseconds to GET a cached prompt through Flask, to read the file directly, and to look up 5 texts."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(cache_dir=Path(folder), public_url="https://example.org")
        cache = AudioCache(settings.audio_path)
        texts = ["Three.", "Two.", "One.", "Switch sides.", "Last one."]
        report = warm(cache, EspeakEngine(), texts, "en-US")
        assert report.failed == 0
        prompt = cache.ensure(EspeakEngine(), texts[3], "en-US")
        app = Flask(__name__)
        app.register_blueprint(audio_blueprint(settings))
        client = app.test_client()

        def get() -> None:
            with client.get(f"/audio/{prompt.key}.mp3") as response:
                assert response.status_code == 200 and len(response.data) == len(prompt.data)

        assert prompt.path is not None
        flask_us = per_call(get, rounds)
        direct_us = per_call(prompt.path.read_bytes, rounds)
        lookup_us = per_call(lambda: cache.lookup_many(texts, "en-US"), rounds)
    return flask_us, direct_us, lookup_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cues", type=int, help="Warm only the first N cue texts (default: all of them).")
    parser.add_argument("--rounds", type=int, default=300, help="Requests per serving measurement.")
    parser.add_argument("--quick", action="store_true",
                        help="12 cues and 30 requests: checks the harness in seconds, not a measurement.")
    args = parser.parse_args()
    if args.quick:
        args.cues, args.rounds = args.cues or 12, 30
    texts = catalog_texts(args.cues)
    parallel = worker_count(EspeakEngine())

    print(f"## Cold warm, espeak-ng, {len(texts)} distinct cue texts of the built-in routines\n")
    print("| workers | seconds | cues/s | audio made | vs 1 worker |")
    print("| --- | --- | --- | --- | --- |")
    baseline = None
    for workers in sorted({1, 2, parallel}):
        elapsed, audio = cold_warm(texts, workers)
        rate = len(texts) / elapsed
        baseline = baseline or rate
        print(f"| {workers} | {elapsed:.1f} | {rate:.1f} | {audio / 60:.1f} min | {rate / baseline:.2f}x |")

    sample = texts[:: max(1, len(texts) // 40)]
    print(f"\n## Where a cue's time goes (one core, mean of {len(sample)} cues)\n")
    print("| stage | ms per cue |")
    print("| --- | --- |")
    for name, ms in stages(sample).items():
        print(f"| {name} | {ms:.1f} |")

    flask_us, direct_us, lookup_us = serving(args.rounds)
    print(f"\n## Serving a cached prompt (median of {args.rounds})\n")
    print("| path | µs per request | ratio |")
    print("| --- | --- | --- |")
    print(f"| read the file directly (baseline) | {direct_us:.0f} | 1.0x |")
    print(f"| Flask test client GET /audio/<key>.mp3 | {flask_us:.0f} | {flask_us / direct_us:.1f}x |")
    print(f"| lookup_many of 5 texts (request path) | {lookup_us:.0f} | {lookup_us / direct_us:.1f}x |")


if __name__ == "__main__":
    main()
