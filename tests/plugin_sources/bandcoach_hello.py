"""A third-party plugin that adds a `bandcoach hello` command."""

import click

from skill import hookimpl


@hookimpl
def bandcoach_register_commands(cli):
    @cli.command()
    @click.argument("name", default="runner")
    def hello(name):
        """Say hello from a plugin."""
        click.echo(f"Hello, {name}, from a plugin command.")
