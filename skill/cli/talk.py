"""Talking to the skill in-process, as `bandcoach say` does: one utterance or a terminal session, and the
throwaway store `say --fresh` (and the generated docs/conversation.md) talk to."""

from __future__ import annotations

import enum
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click

from skill.catalog import Catalog
from skill.cli.params import SAY_USER
from skill.config import Settings
from skill.plugins import BandCoachPluginManager


class Reply(enum.Enum):
    """What `say` prints of each answer."""

    TEXT = "text"  # "Alexa: ..." with the plain words
    SSML = "ssml"  # the SSML Alexa would speak
    JSON = "json"  # the whole response envelope


def quiet_app_log() -> None:
    """In-process conversations turn verification off on purpose: the app's warning about it is not news here."""
    logging.getLogger("skill.web.app").setLevel(logging.ERROR)


@contextmanager
def fresh_store(settings: Settings, *, fresh: bool) -> Iterator[Settings]:
    """The settings to talk with: verification off, and when `fresh` an SQLite store in a temporary folder
    that is removed afterwards (whatever BANDCOACH_STATE or BANDCOACH_DB say, so no runner's data is touched)."""
    settings = replace(settings, verify=False)
    if not fresh:
        yield settings
        return
    folder = Path(tempfile.mkdtemp(prefix="bandcoach-say-"))
    try:
        yield replace(settings, data_dir=folder, db=None, state="sqlite")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def talk(pm: BandCoachPluginManager, catalog: Catalog, settings: Settings, utterance: str | None, *,
         locale: str, user: str = SAY_USER, reply: Reply = Reply.TEXT) -> None:
    """Answer `utterance`, or hold an interactive session on the terminal when it is None."""
    from skill.model import build_model
    from skill.testing.conversation import Conversation
    from skill.testing.utterances import NoMatch
    from skill.web.app import create_app

    quiet_app_log()
    convo = Conversation(create_app(settings, pm=pm), build_model(catalog, locale), locale=locale, user_id=user)

    def one(text: str) -> None:
        turn = convo.say(text)
        if reply is Reply.JSON:
            click.echo(json.dumps(turn.response, indent=2))
        elif reply is Reply.SSML:
            click.echo(turn.ssml or "(no speech)")
        else:
            click.echo(f"Alexa: {turn.speech or '(no speech)'}")

    if utterance is not None:
        try:
            one(utterance)
        except NoMatch as exc:
            raise click.ClickException(str(exc)) from None
        return
    click.echo("Talk to Band Coach (try: open band coach). Ctrl-D or 'quit' to leave.", err=True)
    click.echo(f"Progress is kept in {settings.data_path}" if settings.state == "sqlite" else
               f"Progress is kept in the {settings.state} store", err=True)
    while True:
        try:
            text = input("You: ")
        except EOFError:
            break
        if text.strip().lower() in {"quit", "exit"}:
            break
        try:
            one(text)
        except NoMatch as exc:
            click.echo(str(exc), err=True)
