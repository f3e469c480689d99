"""`bandcoach export`: warm what is missing, then write chaptered MP3s, playlists, covers, chapters, transcripts
and, when it knows where they will be served, the podcast feed."""

from __future__ import annotations

import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skill.catalog import Catalog
from skill.cli.audio import command_context, human_size, progress_bar
from skill.cli.params import BAND
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
    """File name stem and title: `glutes-standard-medium` and "Glutes (standard, medium band)".

    A locale other than en-US is in both ("…-en-gb", "…, en-GB)"), so two locales of a routine differ in a podcast app.
    """
    routine = timeline.routine
    plus = f"-plus{extra_sets}" if extra_sets else ""
    more = f", {extra_sets} extra set{'s' if extra_sets > 1 else ''}" if extra_sets else ""
    name = f"{routine.id}-{routine.variant.value}-{timeline.band.value}{plus}"
    if timeline.locale != "en-US":
        name += f"-{timeline.locale.lower()}"
        more += f", {timeline.locale}"
    return name, f"{routine.name} ({routine.variant.value}, {timeline.band.value} band{more})"


@click.command("export")
@click.argument("routine", required=False)
@click.option("--all", "every", is_flag=True, help="Export every routine (ROUTINE is then not needed).")
@click.option("--band", type=BAND, help="Band level or colour (red, black...). Default: the routine's.")
@click.option("--minutes", type=click.FloatRange(1, 120), help="Pick the variant nearest this length.")
@click.option("--variant", type=click.Choice([v.value for v in Variant]), help="Routine length (instead of --minutes).")
@click.option("--extra-sets", type=click.IntRange(0, 5), default=0, show_default=True, help="Sets added to each step.")
@click.option("--locale", type=click.Choice(LOCALES), help="Locale. Default: BANDCOACH_LOCALE.")
@click.option("--engine", help="Engine used to warm missing prompts. Default: BANDCOACH_TTS.")
@click.option("--cover", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Cover image (square PNG/JPEG, 1400-3000 px for podcast apps). Default: one is drawn.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory. Default: BANDCOACH_EXPORT_DIR, the folder `bandcoach serve` publishes.")
@click.option("--base-url", help="The https:// address the out dir is served at, for feed.xml's links. "
              "Default: BANDCOACH_PUBLIC_URL/exports; without either, no feed.xml is written.")
@click.pass_context
def export_command(ctx: click.Context, routine: str | None, every: bool, band: str | None, minutes: float | None,
                   variant: str | None, extra_sets: int, locale: str | None, engine: str | None,
                   cover: Path | None, out_dir: Path | None, base_url: str | None) -> None:
    """Export ROUTINE for offline play: one MP3 with a chapter per exercise, one MP3 per exercise,
    an .m3u playlist (and a .m3u8 for iPhones), a cover, chapters (.json) and a transcript (.vtt);
    and feed.xml, a podcast feed of every routine in the output directory, when its address is known.

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
    if cover is not None:
        _check_cover(cover)
    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise click.BadParameter(f"{base_url!r} is not an address: give https://host/path", param_hint="--base-url")
    timelines = []
    for routine_id in [routine] if routine else sorted(catalog.routines):  # ROUTINE xor --all (checked above)
        chosen = Variant(variant) if variant else catalog.variant_for_minutes(routine_id, minutes)
        timelines.append(catalog.timeline(routine_id, band=BandLevel(band) if band else None, variant=chosen,
                                          locale=locale, extra_sets=extra_sets))
    from audio.cache import AudioCache
    from audio.export import export_timeline
    from audio.feed import write_show_cover

    cache = AudioCache(settings.audio_path)
    _warm_missing(cache, settings if not engine else replace(settings, tts=engine), pm, timelines, locale)
    results: list[Exported] = []
    try:
        with click.progressbar(timelines, label="exporting", file=sys.stderr,
                               item_show_func=lambda t: t.routine.id if t else "") as bar:
            for timeline in bar:
                name, title = export_name(timeline, extra_sets)
                results.append(export_timeline(cache, timeline, out, name=name, title=title, cover=cover,
                                              tones=settings.tones))
        write_show_cover(out)
        feed = _write_feed(out, settings, base_url)
    except StorageError:
        _print_results(results)
        click.echo(f"{len(results)} of {len(timelines)} routine(s) exported before the failure", err=True)
        raise
    _print_results(results)
    if feed is not None:
        click.echo(str(feed))
    else:
        serve = "bandcoach serve --lan"
        if out != settings.export_path:
            serve = f"BANDCOACH_EXPORT_DIR={out} {serve}"
        click.echo(f"no feed.xml written (a feed needs absolute links): '{serve}' serves these exports as a feed to "
                   "phones on this network; to host the folder elsewhere, pass --base-url https://… or set "
                   "BANDCOACH_PUBLIC_URL", err=True)


def _check_cover(cover: Path) -> None:
    """A clear error unless `cover` is a PNG or JPEG; a warning when podcast apps would refuse its size."""
    from audio.artwork import NotACover, picture_type

    try:
        _, (width, height) = picture_type(cover.read_bytes())
    except NotACover as exc:
        raise click.BadParameter(f"{cover}: {exc}", param_hint="--cover") from None
    except OSError as exc:
        raise click.BadParameter(f"{cover} cannot be read ({exc.strerror})", param_hint="--cover") from None
    if width != height or not 1400 <= width <= 3000:
        click.echo(f"warning: {cover} is {width}x{height} px; podcast apps want a square of 1400 to 3000 px",
                   err=True)


def _write_feed(out: Path, settings: Settings, base_url: str | None) -> Path | None:
    """feed.xml for the files at `base_url` (else at BANDCOACH_PUBLIC_URL/exports, as `serve` publishes them).

    None when neither is known: RSS needs absolute links, and file:// ones work for nobody else.
    """
    from audio.feed import FEED_NAME, Channel, write_feed

    if base_url:
        files = base_url.rstrip("/")
        channel = Channel(files, f"{files}/{FEED_NAME}", f"{files}/{FEED_NAME}", settings.feed_owner,
                          settings.feed_email)
    elif settings.public_url:
        site = settings.public_url.rstrip("/")
        channel = Channel(f"{site}/exports", f"{site}/{FEED_NAME}", f"{site}/", settings.feed_owner,
                          settings.feed_email)
    else:
        return None
    return write_feed(out, channel)


def _print_results(results: list[Exported]) -> None:
    """One line per exported routine (its file, length, chapters, size, written or unchanged) and its playlist."""
    for done in results:
        size = done.mp3.stat().st_size
        state = "unchanged" if done.reused else "written"
        click.echo(f"{done.mp3} ({done.seconds / 60:.1f} min, {len(done.chapters)} chapters, "
                   f"{human_size(size)}, {state})")
        click.echo(f"{done.playlist} ({len(done.parts)} files; also {done.hls.suffix}, {done.cover.suffix}, "
                   f"{done.chapter_file.suffix} chapters, {done.transcript.suffix} transcript)")


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
