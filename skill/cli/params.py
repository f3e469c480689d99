"""Options shared by `bandcoach` commands: a band named the way a runner says it ("red", "heavy"), the
project folder the skill's generated files belong to, and the runner the terminal speaks as."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from skill.catalog import Catalog
from skill.config import Settings
from skill.plugins import make_plugin_manager
from skill.routines import BandLevel

SAY_USER = "amzn1.ask.account.LOCALTERMINAL"  # the runner `bandcoach say` speaks as, unless --user


class BandParam(click.ParamType):
    """A band level or any colour the plugins give one (`--band red` means what "red band" means spoken);
    the value passed on is the level's name ("heavy"), so commands need not know colours."""

    name = "band"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(level.value for level in BandLevel) + "|COLOUR]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if isinstance(value, BandLevel):
            return value.value
        catalog = _catalog(ctx)
        level = catalog.find_band(str(value))
        if level is None:
            colours = sorted(name for name in catalog.band_names if name not in {lv.value for lv in BandLevel})
            self.fail(f"{value!r} is no band: use {', '.join(lv.value for lv in BandLevel)} or a colour "
                      f"({', '.join(colours)})", param, ctx)
        return level.value


def _catalog(ctx: click.Context | None) -> Catalog:
    """The run's catalog (the `bandcoach` group's, so plugins' colours count), else one built from the environment."""
    catalog = getattr(ctx.find_root().obj if ctx else None, "catalog", None)
    if isinstance(catalog, Catalog):
        return catalog
    return Catalog.build(make_plugin_manager(Settings.from_env()))


BAND = BandParam()


project_option = click.option(
    "--out", "--dir", "root", type=click.Path(file_okay=False, path_type=Path),
    help="Project directory holding interaction_models/ and skill-package/. Default: this checkout.")


def project_dir(root: Path | None) -> Path:
    """The project folder generated files go to: --out/--dir, else the checkout this package runs from
    (never the working directory); a one-line error when the package is installed rather than checked out."""
    from skill.model import project_root

    if root is not None:
        return root.resolve()
    found = project_root()
    if not (found / "pyproject.toml").is_file():
        raise click.ClickException(f"{found} is an installed package, not a Band Coach checkout: "
                                   "pass --out DIR (the project folder to write into)")
    return found
