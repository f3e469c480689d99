"""`bandcoach progress`, `forget` and `db migrate`: thin commands over the state store.

A StateError or ConfigError raised here becomes a one-line message with a non-zero exit in the
`bandcoach` group (skill.cli.BandCoachGroup), the one place that converts them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from skill.config import Settings
from skill.progression import streak_days, workouts_this_week
from skill.state import Store, UserState, make_store
from skill.state.codec import encode_state

HISTORY_SHOWN = 10  # sessions listed by the plain-text `progress`; --json gives them all


def progress_summary(state: UserState, *, now: datetime) -> dict[str, Any]:
    """What `bandcoach progress --json` shows: the state plus the streak and this week's count.

    ProgressIntent computes its sentence from the same progression helpers, not from this document.
    """
    today = now.astimezone(UTC).date()
    doc = encode_state(state)
    del doc["format"]
    return {"band": state.band and state.band.value, **doc,
            "streak_days": streak_days(state.history, today=today),
            "workouts_this_week": workouts_this_week(state.history, today=today)}


def register(cli: click.Group) -> None:
    """Add the state commands to the `bandcoach` group."""
    cli.add_command(progress)
    cli.add_command(forget)
    cli.add_command(db)


_user_option = click.option(
    "--user", "user_id", required=True, metavar="ID",
    help="The Alexa user id (amzn1.ask.account...); it is hashed the way the skill stores it.")


@click.command()
@_user_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def progress(ctx: click.Context, user_id: str, as_json: bool) -> None:
    """Show a runner's band, workout in progress, history, streak and workouts this week."""
    summary = progress_summary(_store(ctx).load(user_id), now=datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(_as_text(summary))


@click.command()
@_user_option
@click.option("--yes", is_flag=True, help="Delete without asking.")
@click.pass_context
def forget(ctx: click.Context, user_id: str, yes: bool) -> None:
    """Delete everything stored about a runner (their position, history and bands)."""
    if not yes:
        click.confirm("Delete all Band Coach data stored for this user?", abort=True)
    deleted = _store(ctx).forget(user_id)
    click.echo("Deleted the user's data." if deleted else "Nothing was stored for that user; nothing deleted.")


@click.group()
def db() -> None:
    """Manage the state store (SQLite file or DynamoDB table)."""


@db.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create or upgrade the state store's schema; print the version reached."""
    version = _store(ctx).migrate()
    click.echo(f"State store at schema version {version}.")


def _store(ctx: click.Context) -> Store:
    """The store the settings on the group's context choose (the environment's when there are none)."""
    settings = getattr(ctx.obj, "settings", None)
    return make_store(settings if isinstance(settings, Settings) else Settings.from_env())


def _as_text(summary: dict[str, Any]) -> str:
    """The summary for a person: a few lines, the newest sessions first."""
    bands = ", ".join(f"{routine}: {band}" for routine, band in summary["bands"].items())
    lines = [f"Band: {summary['band'] or 'not set'}" + (f" ({bands})" if bands else "")]
    pos = summary["in_progress"]
    if pos:
        lines.append(f"In progress: {pos['routine']} ({pos['variant']}), step {pos['step'] + 1}, "
                     f"{pos['band']} band, started {pos['started_at'][:16].replace('T', ' ')}")
    else:
        lines.append("In progress: nothing")
    lines.append(f"Streak: {summary['streak_days']} day(s); this week: {summary['workouts_this_week']} workout(s)")
    history = summary["history"]
    lines.append(f"History: {len(history)} session(s)" + (", newest first:" if history else ""))
    for s in reversed(history[-HISTORY_SHOWN:]):
        extra = f" +{s['extra_sets']} set(s)" if s["extra_sets"] else ""
        status = "completed" if s["completed"] else "stopped early"
        lines.append(f"  {s['started_at'][:10]}  {s['routine']} ({s['variant']}), {s['band']}{extra}, "
                     f"{round(s['duration_seconds'] / 60)} min, {status}")
    return "\n".join(lines)
