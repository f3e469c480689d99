"""The `bandcoach` command: thin commands over the modules that own each job."""

from __future__ import annotations

import gc
import importlib
import json
import logging
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import click

from skill.catalog import Catalog
from skill.cli.params import SAY_USER, project_dir, project_option
from skill.config import LOCALES, Settings, settings_help
from skill.errors import BandCoachError
from skill.extras import missing_extra
from skill.plugins import BandCoachPluginManager, call_each, make_plugin_manager

logger = logging.getLogger("skill.cli")


@dataclass
class AppContext:
    """Settings, plugins and catalog for one CLI run, each built on first use (listing commands loads the
    plugins, since plugins may add commands; running a built-in command loads only what it needs)."""

    _settings: Settings | None = None
    _pm: BandCoachPluginManager | None = None
    _catalog: Catalog | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    @property
    def pm(self) -> BandCoachPluginManager:
        if self._pm is None:
            self._pm = make_plugin_manager(self.settings)
        return self._pm

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog.build(self.pm)
        return self._catalog


# Built-in commands that live in their own module, by name. A module is imported when one of its commands runs
# or `--help` lists it, so `bandcoach serve` starts without the audio, export, packaging and state commands.
COMMAND_MODULES = {
    "progress": "skill.cli.state", "forget": "skill.cli.state", "db": "skill.cli.state",
    "audio": "skill.cli.audio", "export": "skill.cli.export", "package": "skill.cli.package",
    "docs": "skill.cli.docs",
}


class BandCoachGroup(click.Group):
    """Turns a BandCoachError, or a missing optional extra, into a clean message and exit code, once, for
    every command; loads the built-in command modules (COMMAND_MODULES) on first use."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BandCoachError as exc:
            raise click.ClickException(str(exc)) from None
        except ModuleNotFoundError as exc:
            fix = missing_extra(exc)
            if fix is None:
                raise
            raise click.ClickException(fix) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES, *_plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMAND_MODULES and name not in self.commands:
            importlib.import_module(COMMAND_MODULES[name]).register(self)
        return super().get_command(ctx, name) or _plugin_commands(ctx).get(name)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The environment-variable table, built only when help is shown (not on every start)."""
        if self.epilog is None and ctx.parent is None:
            self.epilog = _environment_table()
        super().format_epilog(ctx, formatter)


def _plugin_commands(ctx: click.Context) -> dict[str, click.Command]:
    """Commands that plugins add through bandcoach_register_commands (collected once per run)."""
    obj = ctx.ensure_object(AppContext)
    cache = ctx.meta.setdefault("bandcoach.plugin_commands", None)
    if cache is None:
        group = click.Group()
        try:
            for _ in call_each(obj.pm, "bandcoach_register_commands", cli=group):
                pass
        except BandCoachError:
            pass  # a bad setting is reported by the command itself
        cache = ctx.meta["bandcoach.plugin_commands"] = dict(group.commands)
    return cache


def _environment_table() -> str:
    """The environment variables as a table click prints as is (the \\b marker stops it rewrapping the
    paragraph), each meaning wrapped under its name so it reads on an 80-column terminal."""
    rows = []
    for line in settings_help().splitlines():
        if line.startswith("      "):
            rows += textwrap.wrap(line.strip(), width=72, initial_indent="      ", subsequent_indent="      ")
        else:
            rows.append(line)
    return "Environment variables:\n\n\b\n" + "\n".join(rows)


@click.group(cls=BandCoachGroup)  # its epilog, the environment variables, is made by format_epilog
@click.version_option(package_name="bandcoach")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Band Coach: a voice coach for runners who train with resistance bands."""
    ctx.ensure_object(AppContext)


def _setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        from skill.web.server import JsonLogFormatter

        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOCAL_MODE = ("--local: request verification is OFF (no signature, certificate or timestamp checks) and requests "
              "for any skill id are answered; for Alexa, run without --local and set BANDCOACH_SKILL_ID")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on: an address of this machine (phones on the network need its LAN address).")
@click.option("--lan", is_flag=True,
              help="Listen on this machine's local-network address and print the feed's URL and a QR code for phones.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
# 4, waitress's own default: requests are CPU under one GIL with SQLite, and each extra thread adds
# GIL hand-offs (docs/performance.md measures 8, 4 and 2). DynamoDB state waits on the network: raise it.
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads (raise it with BANDCOACH_STATE=dynamodb, whose requests wait on the network).")
@click.option("--local", is_flag=True,
              help="Try it out on this machine: no request verification, any skill id, loopback only.")
@click.pass_obj
def serve(obj: AppContext, host: str, lan: bool, port: int, threads: int, local: bool) -> None:
    """Serve the skill (POST /alexa, GET /healthz) and the exports' podcast feed (GET /feed.xml) with the
    waitress WSGI server and production limits.

    Verification is on and BANDCOACH_SKILL_ID is required; --local turns both off to try it without Alexa.
    --lan serves the feed to phones on the same network (Alexa requests still need verification).
    """
    if lan:
        from skill.cli.lan import lan_address

        if local:
            raise click.UsageError("--lan and --local cannot go together: --local serves only this machine")
        if click.get_current_context().get_parameter_source("host") is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError("give --lan or --host, not both: --lan finds the address itself")
        host = lan_address()
    if local:
        if host not in LOOPBACK_HOSTS:
            raise click.UsageError(f"--local serves only this machine ({', '.join(LOOPBACK_HOSTS)}), not {host}: "
                                   "without verification anyone who reaches it could post requests")
        obj._settings = replace(obj.settings, verify=False, allow_any_skill=True)
    _setup_logging(obj.settings)
    if local:
        _announce(obj.settings, logging.WARNING, LOCAL_MODE)
    with _built_for_good():
        from skill.web.app import create_app
        from skill.web.server import create_server

        app = create_app(obj.settings, pm=obj.pm)  # a store that cannot start stops here: one line, exit 1
        server = create_server(app, host=host, port=port, threads=threads)
    _announce(obj.settings, logging.INFO, f"Band Coach listening on http://{host}:{port}/alexa (health: /healthz)")
    if lan:
        feed_url = f"{(obj.settings.public_url or f'http://{host}:{port}').rstrip('/')}/feed.xml"
        if obj.settings.log_format == "json":
            _announce(obj.settings, logging.INFO, f"podcast feed for phones on this network: {feed_url}")
        else:
            from skill.cli.lan import print_subscribe

            print_subscribe(feed_url)
    server.run()


@contextmanager
def _built_for_good() -> Iterator[None]:
    """Build what lives as long as the server with the cyclic collector paused (it would walk the modules and the
    app again and again while they are made), then freeze it out of the collector's later passes (gc.freeze)."""
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        gc.enable()


def _announce(settings: Settings, level: int, text: str) -> None:
    """A line for the person starting the server: printed, or logged when the log is JSON (one format a line)."""
    if settings.log_format == "json":
        logger.log(level, text)
    else:
        click.echo(text, err=True)


@cli.command()
@click.option("--hook", help="Only plugins that implement this hook.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def plugins(obj: AppContext, hook: str | None, as_json: bool) -> None:
    """List loaded plugins with their hooks and routines, and any that failed."""
    catalog = obj.catalog
    infos = obj.pm.info()
    for info in infos:
        info.routines = sorted(r.id for r in catalog.routines.values() if r.plugin == info.name)
    if hook:
        infos = [i for i in infos if hook in i.hooks]
    failed = [asdict(f) for f in obj.pm.failures]
    if as_json:
        click.echo(json.dumps({"plugins": [asdict(i) for i in infos], "failed": failed}, indent=2))
        return
    for info in infos:
        version = f" {info.version}" if info.version else ""
        routines = f"  routines: {', '.join(info.routines)}" if info.routines else ""
        click.echo(f"{info.name} ({info.dist}{version})  hooks: {', '.join(info.hooks)}{routines}")
    for f in failed:
        click.echo(f"FAILED {f['name']} ({f['dist']}): {f['error']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--locale", type=click.Choice(LOCALES), help="Locale. Default: BANDCOACH_LOCALE.")
@click.pass_obj
def routines(obj: AppContext, as_json: bool, locale: str | None) -> None:
    """List routines with their steps and estimated duration."""
    from skill.listing import describe_routines

    listing = describe_routines(obj.catalog, locale or obj.settings.locale)
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    for r in listing:
        click.echo(f"{r['id']}: {r['name']} ({round(r['duration_seconds'] / 60)} min, {r['plugin']})")
        click.echo(f"  says: {', '.join(r['aliases'])}")
        for step in r["steps"]:
            click.echo(f"  - {step['exercise_name']}: {step['dose']}")


@cli.group()
def model() -> None:
    """Build or check the interaction models (interaction_models/ and skill-package/interactionModels/custom/)."""


@model.command("build")
@project_option
@click.pass_obj
def model_build(obj: AppContext, root: Path | None) -> None:
    """Write <locale>.json for every locale from the loaded plugins, refusing a model Alexa would reject."""
    from skill.model import build_model, write_project_models

    root = project_dir(root)
    for locale in LOCALES:
        _refuse_broken(build_model(obj.catalog, locale))
    try:
        folders = write_project_models(obj.catalog, root)
    except OSError as exc:
        raise click.ClickException(f"cannot write the models under {root}: {exc.strerror or exc}; "
                                   "pass --out DIR with a folder you can write") from None
    click.echo(f"wrote {len(LOCALES)} locales ({', '.join(LOCALES)}) to " + " and ".join(f"{f}/" for f in folders))


def _refuse_broken(model: dict[str, Any]) -> None:
    """A ClickException listing the first problems when the model breaks Alexa's rules or limits."""
    from skill.model_limits import problems

    found = problems(model)
    if found:
        shown = "\n  ".join(found[:10]) + (f"\n  ... and {len(found) - 10} more" if len(found) > 10 else "")
        raise click.ClickException(f"the interaction model breaks {len(found)} of Alexa's rules:\n  {shown}")


@model.command("check")
@project_option
@click.pass_obj
def model_check(obj: AppContext, root: Path | None) -> None:
    """Exit non-zero when a model breaks Alexa's rules and limits, or differs from what the plugins produce
    (in interaction_models/ or in skill-package/interactionModels/custom/)."""
    from skill.model import build_model, stale_project_models

    root = project_dir(root)
    for locale in LOCALES:
        _refuse_broken(build_model(obj.catalog, locale))
    stale = stale_project_models(obj.catalog, root)
    if stale:
        shown = ", ".join(stale[:4]) + (f" and {len(stale) - 4} more" if len(stale) > 4 else "")
        raise click.ClickException(f"interaction models out of date in {root}: {shown}; "
                                   "run 'bandcoach model build' and commit")
    click.echo(f"interaction models up to date ({len(LOCALES)} locales, both folders under {root})")


@cli.command()
@click.argument("utterance", required=False)
@click.option("--locale", type=click.Choice(LOCALES), help="Locale. Default: BANDCOACH_LOCALE.")
@click.option("--ssml", "show_ssml", is_flag=True, help="Print the SSML, not plain text.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole response envelope.")
@click.option("--user", default=SAY_USER, show_default=True, help="Alexa user id to send.")
@click.option("--fresh", is_flag=True,
              help="Talk as a new runner: a throwaway SQLite store in a temporary folder, deleted afterwards.")
@click.pass_obj
def say(obj: AppContext, utterance: str | None, locale: str | None, show_ssml: bool, as_json: bool, user: str,
        fresh: bool) -> None:
    """Talk to the skill as Alexa would: resolve UTTERANCE, send it in-process, print the answer.

    What you do is remembered like any runner's progress, in the real store (BANDCOACH_DATA_DIR, or the
    user data dir); --fresh uses a throwaway one instead. With no UTTERANCE, opens an interactive session
    (Ctrl-D or 'quit' to leave).
    """
    from skill.cli.talk import Reply, fresh_store, talk

    with fresh_store(obj.settings, fresh=fresh) as settings:
        talk(obj.pm, obj.catalog, settings, utterance, locale=locale or obj.settings.locale, user=user,
             reply=Reply.JSON if as_json else Reply.SSML if show_ssml else Reply.TEXT)

