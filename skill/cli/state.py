"""`bandcoach progress`, `forget` and `db migrate`: thin commands over the state store.

A StateError or ConfigError raised here becomes a one-line message with a non-zero exit in the
`bandcoach` group (skill.cli.BandCoachGroup), the one place that converts them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from skill.catalog import Catalog
from skill.config import Settings
from skill.progression import streak_days, workouts_this_week
from skill.state import Store, UserState, make_store
from skill.state.codec import encode_state

HISTORY_SHOWN = 10  # sessions listed by the plain-text `progress`; --json gives them all


def progress_summary(state: UserState, *, now: datetime, catalog: Catalog | None = None) -> dict[str, Any]:
    """What `bandcoach progress --json` shows: the state plus the streak, this week's count and, with a
    catalog, each routine's next step as the progression rule suggests it (what "how am I doing" says).
    """
    today = now.astimezone(UTC).date()
    doc = encode_state(state)
    del doc["format"]
    summary = {"band": state.band and state.band.value, **doc,
               "streak_days": streak_days(state.history, today=today),
               "workouts_this_week": workouts_this_week(state.history, today=today)}
    if catalog is not None:
        summary["next"] = {}
        for routine in catalog.routines.values():
            sessions = state.sessions_of(routine.id)
            suggestion = catalog.progression(routine.id, sessions, band=state.band_for(routine.id),
                                             pain=state.pain_since(now - timedelta(days=42)), owned=state.owned) \
                if sessions else None
            if suggestion is not None:
                summary["next"][routine.id] = {"band": suggestion.band.value, "extra_sets": suggestion.extra_sets,
                                               "change": suggestion.change.value, "reason": suggestion.reason}
    return summary


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
    catalog = getattr(ctx.obj, "catalog", None)
    summary = progress_summary(_store(ctx).load(user_id), now=datetime.now(UTC),
                               catalog=catalog if isinstance(catalog, Catalog) else None)
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
    for routine, nxt in (summary.get("next") or {}).items():
        lines.append(f"Next {routine}: {nxt['band']} +{nxt['extra_sets']} ({nxt['change']}): {nxt['reason']}")
    if summary["owned"]:
        lines.append(f"Bands owned: {', '.join(summary['owned'])}")
    history = summary["history"]
    lines.append(f"History: {len(history)} session(s)" + (", newest first:" if history else ""))
    for s in reversed(history[-HISTORY_SHOWN:]):
        extra = f" +{s['extra_sets']} set(s)" if s["extra_sets"] else ""
        status = ("completed" if s["completed"] else "stopped early") + (f", felt {s['rating']}" if s["rating"] else "")
        lines.append(f"  {s['started_at'][:10]}  {s['routine']} ({s['variant']}), {s['band']}{extra}, "
                     f"{round(s['duration_seconds'] / 60)} min, {status}")
    return "\n".join(lines)
