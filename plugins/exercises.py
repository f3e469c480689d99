"""The shared exercise library and the band colour names, read from data/exercises.toml and data/bands.toml."""

from plugins.loader import load_band_aliases, load_exercises
from skill import BandLevel, Exercise, hookimpl


@hookimpl
def bandcoach_exercises() -> list[Exercise]:
    """Every built-in exercise; routines of any plugin may name them by id."""
    return load_exercises("exercises.toml")


@hookimpl
def bandcoach_band_aliases() -> dict[str, BandLevel]:
    """Band colours and everyday words for the three levels ("green" -> light, "black" -> heavy)."""
    return load_band_aliases("bands.toml")
