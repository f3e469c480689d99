"""The publish pipeline: render every segment of the warmed routines, upload the cache to S3, then index it.

The deployed function (Lambda) has no local cache and never renders: it reads the per-locale
index this pipeline writes last (the format is skill.segments.SegmentIndex; the reader is
audio.s3.S3SegmentIndex), so the index only ever names segments
that are already in the bucket. Keys are content addresses, so publishing again uploads only
what changed and rewrites identical index bytes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from audio.warm import every_timeline
from skill.config import LOCALES
from skill.segments import SegmentIndex, fingerprint, publishable_runs
from skill.timeline import Timeline

if TYPE_CHECKING:
    from audio.cache import AudioCache
    from audio.engines import EngineIdentity
    from audio.s3 import PublishReport, S3AudioStore
    from skill.catalog import Catalog

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class IndexReport:
    """What pre-rendering found: one index per warmed locale, new segments, and timelines left out (with why)."""

    indexes: list[SegmentIndex] = field(default_factory=list)
    rendered: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # ("desk/short/light/+1 en-GB", why)


def render_timeline_segments(cache: AudioCache, timeline: Timeline, ident: EngineIdentity,
                             known: dict[str, tuple[str, float]], *,
                             tones: bool = True) -> tuple[dict[str, tuple[str, float]], int]:
    """Render the segments of `timeline` that `known` lacks; MissingPrompts (before any rendering) if a clip is absent.

    Returns the timeline's fingerprint -> (key, seconds) entries and how many segments were new.
    """
    from audio.render import plan_cues, render_plan

    plans, entries = {}, {}
    for index, cues in publishable_runs(timeline, tones=tones):  # hands-free runs with tone cues unless off
        fp = fingerprint(cues, timeline.locale)
        if fp in known:
            entries[fp] = known[fp]
        elif fp not in plans:
            plans[fp] = plan_cues(cache, cues, routine=timeline.routine.id, locale=timeline.locale, index=index,
                                  title=timeline.blocks[index].exercise.name, ident=ident)
    made = 0
    for fp, plan in plans.items():
        segment = render_plan(cache, plan)
        entries[fp] = (segment.key, segment.seconds)
        made += segment.created
    return entries, made


def build_indexes(cache: AudioCache, catalog: Catalog, *, locales: Sequence[str] = LOCALES,
                  tones: bool = True) -> IndexReport:
    """Pre-render every fully warmed timeline (routines x variants x bands x extra sets) of each warmed locale.

    A timeline with a cue missing from the cache is skipped and reported, never half indexed. A
    segment the cache cannot keep (full or read-only disk) raises StorageError at once: the
    publish stops before uploading, and the bucket keeps its previous index.
    """
    from audio.render import MissingPrompts, RenderError

    report = IndexReport()
    for locale in locales:
        ident = cache.identity_for(locale)
        if ident is None:
            continue  # never warmed: nothing to publish, and the bucket's index for it stays as it is
        segments: dict[str, tuple[str, float]] = {}
        covered = []
        for label, timeline in every_timeline(catalog, locale):
            try:
                entries, made = render_timeline_segments(cache, timeline, ident, segments, tones=tones)
            except MissingPrompts as exc:
                report.skipped.append((f"{label} {locale}", f"{len(exc.missing)} cue(s) not warmed"))
                continue
            except (RenderError, OSError) as exc:
                logger.exception("segments of %s (%s) failed to render", label, locale)
                report.skipped.append((f"{label} {locale}", str(exc)))
                continue
            segments.update(entries)
            covered.append(label)
            report.rendered += made
        if segments:
            engine = {"engine": ident.engine, "version": ident.version, "voice": ident.voice, "rate": ident.rate}
            report.indexes.append(SegmentIndex(locale, engine, segments, tuple(covered)))
    return report


@dataclass(slots=True)
class PublishOutcome:
    """The whole publish: pre-rendering, the upload, and the indexes written (object name, segments named)."""

    prepared: IndexReport
    upload: PublishReport
    written: list[tuple[str, int]] = field(default_factory=list)
    unindexed: int = 0  # segments left out of an index because their upload failed


def write_indexes(store: S3AudioStore, outcome: PublishOutcome) -> PublishOutcome:
    """After the upload: write each locale's index, naming only segments the bucket now holds."""
    for index in outcome.prepared.indexes:
        kept = {fp: ref for fp, ref in index.segments.items() if ref[0] in outcome.upload.keys}
        outcome.unindexed += len(index.segments) - len(kept)
        if kept:
            name = store.put_index(SegmentIndex(index.locale, index.engine, kept, index.timelines))
            outcome.written.append((name, len(kept)))
    return outcome


Progress = Callable[[int], AbstractContextManager[Callable[[int], None] | None]]
"""Given how many files the upload walks, a context yielding the per-file step callback (or None)."""


def publish(store: S3AudioStore, cache: AudioCache, catalog: Catalog, *,
            progress: Progress | None = None, tones: bool = True) -> PublishOutcome:
    """Render, upload what the bucket lacks, then index: the command's three steps in order.

    StorageError (from rendering) stops it before anything is uploaded; an upload that fails is
    counted in the report and its segments are left out of the index.
    """
    prepared = build_indexes(cache, catalog, tones=tones)
    entries = cache.entries()
    with (progress or _no_progress)(len(entries)) as step:
        upload = store.publish(cache, entries=entries, progress=step)
    return write_indexes(store, PublishOutcome(prepared, upload))


def _no_progress(total: int) -> AbstractContextManager[None]:
    return contextlib.nullcontext()
