"""`bandcoach export`: warm what is missing, then write chaptered MP3s, playlists and the podcast feed."""

from __future__ import annotations

import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skill.catalog import Catalog
from skill.cli.audio import command_context, human_size, progress_bar
from skill.config import LOCALES, Settings
from skill.errors import StorageError, UnknownRoutine
from skill.files import Terminated, exit_status, terminate_as_interrupt
from skill.plugins import BandCoachPluginManager
from skill.routines import BandLevel, Variant
from skill.timeline import Timeline

if TYPE_CHECKING:  # the pipeline loads when the command runs, not with every `bandcoach` start
    from audio.cache import AudioCache
    from audio.export import Exported


def register(cli: click.Group) -> None:
    """Add `bandcoach export` to the `bandcoach` group."""
    cli.add_command(export_command)


def export_name(timeline: Timeline, extra_sets: int) -> tuple[str, str]:
    """File name stem and title: `glutes-standard-medium` and "Glutes (standard, medium band)"."""
    routine = timeline.routine
    plus = f"-plus{extra_sets}" if extra_sets else ""
    more = f", {extra_sets} extra set{'s' if extra_sets > 1 else ''}" if extra_sets else ""
    name = f"{routine.id}-{routine.variant.value}-{timeline.band.value}{plus}"
    if timeline.locale != "en-US":
        name += f"-{timeline.locale.lower()}"
    return name, f"{routine.name} ({routine.variant.value}, {timeline.band.value} band{more})"


@click.command("export")
@click.argument("routine", required=False)
@click.option("--all", "every", is_flag=True, help="Export every routine (ROUTINE is then not needed).")
@click.option("--band", type=click.Choice([b.value for b in BandLevel]), help="Band level. Default: the routine's.")
@click.option("--minutes", type=click.FloatRange(1, 120), help="Pick the variant nearest this length.")
@click.option("--variant", type=click.Choice([v.value for v in Variant]), help="Routine length (instead of --minutes).")
@click.option("--extra-sets", type=click.IntRange(0, 5), default=0, show_default=True, help="Sets added to each step.")
@click.option("--locale", type=click.Choice(LOCALES), help="Locale. Default: BANDCOACH_LOCALE.")
@click.option("--engine", help="Engine used to warm missing prompts. Default: BANDCOACH_TTS.")
@click.option("--cover", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Cover image (JPEG/PNG).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory. Default: BANDCOACH_EXPORT_DIR.")
@click.option("--base-url", help="Where the out dir is served, for the feed's enclosure URLs. "
              "Default: BANDCOACH_PUBLIC_URL/exports, else file:// URLs.")
@click.pass_context
def export_command(ctx: click.Context, routine: str | None, every: bool, band: str | None, minutes: float | None,
                   variant: str | None, extra_sets: int, locale: str | None, engine: str | None,
                   cover: Path | None, out_dir: Path | None, base_url: str | None) -> None:
    """Export ROUTINE for offline play: one MP3 with a chapter per exercise, one MP3 per exercise,
    an .m3u8 playlist, and feed.xml (a podcast feed of every routine in the output directory).

    Exits 1 with one line (the cause and the fix) when a file cannot be written, 130 on Ctrl-C and
    143 on SIGTERM; files already renamed into place are whole and no temp file is left.
    """
    try:
        with terminate_as_interrupt():
            _export(ctx, routine, every, band, minutes, variant, extra_sets, locale, engine, cover, out_dir, base_url)
    except KeyboardInterrupt as interrupt:
        click.echo("export interrupted: files already written are whole, and no partial or temp file is left",
                   err=True)
        ctx.exit(exit_status(interrupt))


def _export(ctx: click.Context, routine: str | None, every: bool, band: str | None, minutes: float | None,
            variant: str | None, extra_sets: int, locale: str | None, engine: str | None, cover: Path | None,
            out_dir: Path | None, base_url: str | None) -> None:
    settings, pm = command_context(ctx)
    catalog = Catalog.build(pm)
    if every == bool(routine):
        raise click.UsageError("name one ROUTINE or pass --all (see 'bandcoach routines' for the ids)")
    if routine and routine not in catalog.routines:
        found = catalog.find_routine(routine)
        if found is None:
            raise UnknownRoutine(routine, sorted(catalog.routines))
        routine = found.id
    locale = locale or settings.locale
    out = out_dir or settings.export_path
    timelines = []
    for routine_id in [routine] if routine else sorted(catalog.routines):  # ROUTINE xor --all (checked above)
        chosen = Variant(variant) if variant else catalog.variant_for_minutes(routine_id, minutes)
        timelines.append(catalog.timeline(routine_id, band=BandLevel(band) if band else None, variant=chosen,
                                          locale=locale, extra_sets=extra_sets))
    from audio.cache import AudioCache
    from audio.export import export_timeline
    from audio.feed import write_feed

    cache = AudioCache(settings.audio_path)
    _warm_missing(cache, settings if not engine else replace(settings, tts=engine), pm, timelines, locale)
    results: list[Exported] = []
    try:
        with click.progressbar(timelines, label="exporting", file=sys.stderr,
                               item_show_func=lambda t: t.routine.id if t else "") as bar:
            for timeline in bar:
                name, title = export_name(timeline, extra_sets)
                results.append(export_timeline(cache, timeline, out, name=name, title=title, cover=cover))
        base = base_url or (f"{settings.public_url.rstrip('/')}/exports" if settings.public_url else None)
        feed = write_feed(out, base_url=base)
    except StorageError:
        _print_results(results)
        click.echo(f"{len(results)} of {len(timelines)} routine(s) exported before the failure", err=True)
        raise
    _print_results(results)
    click.echo(str(feed))


def _print_results(results: list[Exported]) -> None:
    """One line per exported routine (its file, length, chapters, size, written or unchanged) and its playlist."""
    for done in results:
        size = done.mp3.stat().st_size
        state = "unchanged" if done.reused else "written"
        click.echo(f"{done.mp3} ({done.seconds / 60:.1f} min, {len(done.chapters)} chapters, "
                   f"{human_size(size)}, {state})")
        click.echo(f"{done.playlist} ({len(done.parts)} files)")


def _warm_missing(cache: AudioCache, settings: Settings, pm: BandCoachPluginManager, timelines: list[Timeline],
                  locale: str) -> None:
    """Synthesise the cues the cache lacks (an engine is chosen only when something is missing).

    StorageError when the cache cannot keep them; an interrupted warm is raised again as the interrupt.
    """
    from audio.cache import canonical_text
    from audio.engines import choose_engine, collect_engines
    from audio.warm import warm

    texts = list(dict.fromkeys(canonical_text(c.text) for t in timelines for c in t.cues() if c.text.strip()))
    if cache.lookup_many(texts, locale) is not None:
        return
    engine = choose_engine(settings, collect_engines(pm, settings))
    with progress_bar(len(texts), f"warming {locale} with {engine.name}") as bar:
        report = warm(cache, engine, texts, locale, progress=bar.update)
    if report.interrupted:
        raise KeyboardInterrupt if report.signum == signal.SIGINT else Terminated(report.signum)
    if report.storage_error is not None:
        raise report.storage_error
    if report.failed:
        raise click.ClickException(f"{report.failed} prompt(s) could not be generated (first: "
                                   f"{report.failures[0][1] if report.failures else 'interrupted'}); "
                                   "run 'bandcoach export' again, or 'bandcoach audio warm' to see every error")
