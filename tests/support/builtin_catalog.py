"""Test helpers for the built-in plugins: a fresh manager with only the bandcoach distribution, and its catalog."""

from __future__ import annotations

from skill.catalog import Catalog
from skill.config import Settings
from skill.plugins import BandCoachPluginManager, make_plugin_manager

BUILTIN_CONTENT = ("exercises", "warmup", "desk", "glutes", "recovery", "treadmill", "coaching")
ROUTINE_IDS = ("warmup", "desk", "glutes", "recovery", "treadmill")


def builtin_manager() -> BandCoachPluginManager:
    """A new plugin manager loading only the `bandcoach` distribution's entry points (no site-packages leaks)."""
    return make_plugin_manager(Settings(load_plugins=("bandcoach",)))


def builtin_catalog() -> Catalog:
    """The catalog built from a fresh built-ins-only manager."""
    return Catalog.build(builtin_manager())


def failures_of(catalog_or_pm: Catalog | BandCoachPluginManager, name: str) -> list[str]:
    """The recorded errors of one plugin, by name."""
    return [f.error for f in catalog_or_pm.failures if f.name == name]
