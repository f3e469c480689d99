"""`bandcoach audio warm|stats|prune|publish`: thin commands over the prompt cache and the publish pipeline."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

import click

from skill.catalog import Catalog
from skill.cli.params import BAND
from skill.config import LOCALES, Settings
from skill.files import exit_status, terminate_as_interrupt
from skill.plugins import BandCoachPluginManager, make_plugin_manager
from skill.routines import BandLevel, Variant

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns; click exports no public name for it

# The cache, engines and warm modules pull in numpy and the codecs: imported inside the commands,
# so `bandcoach serve` and every other command start without them.

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from "500MB", "1.5GB", "200k" or "64MiB" (k/M/G are powers of 1000, KiB/MiB/GiB of 1024)."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size: write a number with an optional unit, like 500MB, 1.5GB or 200k")
    return int(float(match.group(1)) * _UNITS[unit])


class SizeType(click.ParamType):
    """A click option type for sizes; a bad value is a usage error that shows the accepted forms."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def human_size(size: float) -> str:
    """1234567 -> "1.2 MB"."""
    for unit in ("B", "kB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def progress_bar(total: int, label: str) -> ProgressBar[int]:
    """A progress bar on stderr that counts to `total`: enter it, then advance it with `update(steps)`."""
    return click.progressbar(length=total, label=label, file=sys.stderr)


def command_context(ctx: click.Context) -> tuple[Settings, BandCoachPluginManager]:
    """Settings and plugin manager from the `bandcoach` group's context, or built here when run alone."""
    obj = ctx.find_root().obj
    if obj is not None and hasattr(obj, "settings") and hasattr(obj, "pm"):
        return obj.settings, obj.pm
    settings = Settings.from_env()
    return settings, make_plugin_manager(settings)


def register(cli: click.Group) -> None:
    """Add the `audio` command group to the `bandcoach` group."""
    cli.add_command(audio_group)


@click.group("audio")
def audio_group() -> None:
    """Generate, inspect and trim the cache of spoken prompts (MP3 for Alexa and offline play)."""


@audio_group.command("warm")
@click.option("--routine", "routines", multiple=True, help="Routine id (repeatable). Default: every routine.")
@click.option("--locale", "locales", multiple=True, type=click.Choice(LOCALES),
              help="Locale (repeatable). Default: BANDCOACH_LOCALE.")
@click.option("--engine", help="Engine, or an order of preference like gtts,espeak. Default: BANDCOACH_TTS.")
@click.option("--band", "bands", multiple=True, type=BAND,
              help="Band level (repeatable). Default: every level.")
@click.option("--variant", "variants", multiple=True, type=click.Choice([v.value for v in Variant]),
              help="Routine length (repeatable). Default: every length.")
@click.option("--workers", type=click.IntRange(1, 32), help="Parallel prompts. Default: what the engine allows.")
@click.pass_context
def warm_command(ctx: click.Context, routines: tuple[str, ...], locales: tuple[str, ...], engine: str | None,
                 bands: tuple[str, ...], variants: tuple[str, ...], workers: int | None) -> None:
    """Generate every prompt the routines can speak, so the skill can play them without waiting.

    Exits 1 when a prompt failed or the cache could not keep one (the last line says why and how to
    fix it), 130 on Ctrl-C and 143 on SIGTERM (prompts already made are kept, no temp file stays).
    """
    settings, pm = command_context(ctx)
    if engine:
        settings = replace(settings, tts=engine)
    from audio.cache import AudioCache
    from audio.engines import choose_engine, collect_engines, describe, identity
    from audio.warm import cue_texts, warm

    chosen = choose_engine(settings, collect_engines(pm, settings))
    catalog = Catalog.build(pm)
    cache = AudioCache(settings.audio_path)
    click.echo(f"engine: {chosen.name} {chosen.version}; cache: {cache.root}", err=True)
    failed = 0
    for locale in locales or (settings.locale,):
        texts = cue_texts(catalog, locale=locale, routines=routines, bands=[BandLevel(b) for b in bands],
                          variants=[Variant(v) for v in variants])
        click.echo(f"{locale} voice: {describe(identity(chosen, locale))}", err=True)
        with terminate_as_interrupt(), progress_bar(len(texts), f"warming {locale}") as bar:
            report = warm(cache, chosen, texts, locale, workers=workers, progress=bar.update)
        not_tried = f", {report.skipped} not tried" if report.skipped else ""
        click.echo(
            f"{locale}: {report.new} new, {report.cached} cached, {report.failed} failed{not_tried} of "
            f"{report.total}; {report.duration:.0f} s of audio, {human_size(report.size)}"
        )
        storage = str(report.storage_error) if report.storage_error else None
        for text, error in [f for f in report.failures if f[1] != storage][:5]:  # the storage cause comes last
            click.echo(f"  failed: {text[:60]!r}: {error}", err=True)
        failed += report.failed
        if report.interrupted:
            click.echo("interrupted: prompts already made are kept; run warm again to finish", err=True)
            ctx.exit(128 + report.signum)
        if report.storage_error is not None:
            raise report.storage_error
    if failed:
        raise click.ClickException(f"{failed} prompt(s) failed: see the errors above; run warm again to retry them")


@audio_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool) -> None:
    """How many prompts are cached, their size and length, per engine and per voice (which voice made them)."""
    settings, _ = command_context(ctx)
    from audio.cache import AudioCache

    stats = AudioCache(settings.audio_path).stats()
    if as_json:
        click.echo(json.dumps(asdict(stats), indent=2))
        return
    click.echo(f"{stats.count} prompts, {human_size(stats.size)}, {stats.duration / 60:.1f} min of audio")
    for name, each in stats.per_engine.items():
        click.echo(f"  {name}: {each.count} prompts, {human_size(each.size)}, {each.duration / 60:.1f} min")
        for voice in (v for v in stats.voices if v.engine == name):
            click.echo(f"    {voice.description}, {', '.join(voice.locales)}: {voice.count} prompts, "
                       f"{human_size(voice.size)}, {voice.duration / 60:.1f} min")


@audio_group.command("prune")
@click.option("--max-size", type=SizeType(), default="500MB", show_default=True,
              help="Keep the cache at most this big (500MB, 1.5GB, 200k); least recently used go first.")
@click.pass_context
def prune_command(ctx: click.Context, max_size: int) -> None:
    """Delete least recently used prompts until the cache fits in --max-size."""
    settings, _ = command_context(ctx)
    from audio.cache import AudioCache

    result = AudioCache(settings.audio_path).prune(max_size)
    click.echo(f"removed {result.removed} prompts ({human_size(result.freed)}); "
               f"{human_size(result.remaining)} left (limit {human_size(max_size)})")


@audio_group.command("publish")
@click.option("--bucket", help="S3 bucket. Default: BANDCOACH_S3_BUCKET.")
@click.pass_context
def publish_command(ctx: click.Context, bucket: str | None) -> None:
    """Render hands-free and session segments, upload every cached file S3 lacks, and write the segment index."""
    from audio.cache import AudioCache
    from audio.publish import publish
    from audio.s3 import S3AudioStore  # boto3 loads only for this command

    settings, pm = command_context(ctx)
    store = S3AudioStore.from_settings(settings, bucket=bucket)
    bar_label = f"publishing to s3://{store.bucket}/{store.prefix}"

    @contextlib.contextmanager
    def bar(total: int) -> Iterator[Callable[[int], None]]:
        with progress_bar(total, bar_label) as shown:
            yield shown.update

    click.echo("rendering the segments of the warmed routines...", err=True)
    try:
        with terminate_as_interrupt():
            outcome = publish(store, AudioCache(settings.audio_path), Catalog.build(pm), progress=bar,
                              tones=settings.tones)
    except KeyboardInterrupt as interrupt:
        click.echo("publish interrupted: uploaded files are kept and the index is written last; "
                   "run publish again to finish", err=True)
        ctx.exit(exit_status(interrupt))
    report, prepared = outcome.upload, outcome.prepared
    click.echo(f"{prepared.rendered} segment(s) rendered; {len(prepared.skipped)} timeline(s) not fully warmed")
    for label, why in prepared.skipped[:5]:
        click.echo(f"  skipped: {label}: {why}", err=True)
    if prepared.skipped:
        click.echo("  (run 'bandcoach audio warm' for the routines and locales you want hands-free)", err=True)
    click.echo(f"{report.uploaded} uploaded ({human_size(report.size)}), {report.present} already there, "
               f"{report.failed} failed of {report.uploaded + report.present + report.failed}")
    for name, count in outcome.written:
        click.echo(f"index s3://{store.bucket}/{name}: {count} segment(s)")
    if not outcome.written:
        click.echo("no segment index written: warm at least one routine completely first", err=True)
    if settings.public_url:
        click.echo(f"served at {settings.public_url.rstrip('/')}/{store.prefix}<key>.mp3")
    for key, why in report.failures[:5]:
        click.echo(f"  failed: {key}: {why}", err=True)
    if report.failed:
        raise click.ClickException(f"{report.failed} file(s) were not published ({outcome.unindexed} segment(s) "
                                   "left out of the index): see the errors above; run publish again to retry them")
