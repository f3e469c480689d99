"""Benchmark exporting a 30-minute routine from a warm prompt cache against copying the same bytes.

Run `python bench/bench_export.py [--repeat N] [--quick]`; prints a `##` heading and a markdown table.
The routine is the long variant of glutes with as many extra sets as it takes to pass 30 minutes
(`--quick`: its short variant, once; a harness check in seconds, not a measurement). Its cues are warmed with
espeak-ng once, outside the timings; each repetition starts from a fresh copy of that warm cache
(no rendered segments), so it measures the whole join. The floor is `shutil.copyfile` of a file of
the same size as what was written: no join can beat copying its own output.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audio import render
from audio.cache import AudioCache, canonical_text
from audio.engines.espeak import EspeakEngine
from audio.export import export_timeline
from audio.feed import Channel, write_feed
from audio.warm import warm
from skill.catalog import Catalog
from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.routines import Variant
from skill.timeline import Timeline

BENCH_SITE = Channel("https://bench.invalid/exports", "https://bench.invalid/feed.xml", "https://bench.invalid/")

ROUTINE = "glutes"
TARGET_SECONDS = 30 * 60


def thirty_minutes(catalog: Catalog) -> tuple[Timeline, int]:
    """The long glutes routine with the fewest extra sets that make it last 30 minutes or more."""
    for extra in range(6):
        timeline = catalog.timeline(ROUTINE, variant=Variant.LONG, extra_sets=extra)
        if timeline.seconds >= TARGET_SECONDS:
            return timeline, extra
    raise SystemExit("no glutes variant reaches 30 minutes")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def copy_floor(size: int, folder: Path) -> float:
    """Seconds to copy a `size`-byte file that is already in the page cache."""
    src, dst = folder / "src.bin", folder / "dst.bin"
    src.write_bytes(b"\x55" * size)
    src.read_bytes()
    return timed(lambda: shutil.copyfile(src, dst))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="The short variant, once: checks the harness in seconds, not a measurement.")
    args = parser.parse_args()
    catalog = Catalog.build(make_plugin_manager(Settings(load_plugins=("bandcoach",))))
    variant = Variant.SHORT if args.quick else Variant.LONG
    if args.quick:
        args.repeat, timeline, extra = 1, catalog.timeline(ROUTINE, variant=variant), 0
    else:
        timeline, extra = thirty_minutes(catalog)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        texts = list(dict.fromkeys(canonical_text(c.text) for c in timeline.cues() if c.text.strip()))
        if warm(AudioCache(root / "warm"), EspeakEngine(), texts, "en-US").failed:
            raise SystemExit("warming the routine's cues failed: is espeak-ng installed?")
        renders, exports, render_floor, export_floor = [], [], [], []
        for i in range(args.repeat):
            for kind in ("render", "export"):
                audio = root / f"{kind}-{i}"
                shutil.copytree(root / "warm", audio)
                cache = AudioCache(audio)
                out = root / f"out-{i}"
                if kind == "render":
                    renders.append(timed(lambda c=cache: render.render_timeline(c, timeline)))
                    size = sum(s.path.stat().st_size for s in render.render_timeline(cache, timeline))
                    render_floor.append(copy_floor(size, root))
                else:
                    exports.append(timed(lambda c=cache, o=out: (
                        export_timeline(c, timeline, o, name="bench", title="Bench"), write_feed(o, BENCH_SITE))))
                    size = sum(p.stat().st_size for p in out.iterdir())
                    export_floor.append(copy_floor(size, root))
                cache.close()
    minutes = timeline.seconds / 60
    print(f"## Exporting a routine of {minutes:.0f} minutes from a warm cache{' (quick)' if args.quick else ''}\n")
    print(f"routine: {ROUTINE} {variant.value} +{extra} extra sets, {minutes:.1f} min, "
          f"{len(timeline.blocks)} segments, {len(texts)} distinct cues; median of {args.repeat}\n")
    print("| step | time | floor (copy the same bytes) | ratio |")
    print("| --- | --- | --- | --- |")
    for name, spent, floor in (("render segments (warm clips, no segments cached)", renders, render_floor),
                               ("export: whole MP3 + chapters + parts + m3u8 + feed", exports, export_floor)):
        t, f = statistics.median(spent), statistics.median(floor)
        print(f"| {name} | {t * 1000:.1f} ms | {f * 1000:.1f} ms | {t / f:.1f}x |")


if __name__ == "__main__":
    main()
