"""The plugin manager: entry-point loading with failure isolation, safe hook calls, and listing."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from skill import hookspecs
from skill.config import Settings

logger = logging.getLogger(__name__)

GROUP = "bandcoach"
BUILTIN_DIST = "bandcoach"
# Written by deploy/build-lambda beside the packages: every `bandcoach` entry point in the package, so a
# Lambda cold start loads them without scanning the installed distributions (importlib.metadata).
REGISTRY = Path(__file__).resolve().parent.parent / "bandcoach-entry-points.json"


@dataclass(frozen=True, slots=True)
class Listed:
    """One entry point as the registry lists it: enough to load it and to say where it came from."""

    name: str
    value: str  # "module" or "module:attribute"
    dist: str
    version: str

    def load(self) -> Any:
        module, _, attribute = self.value.partition(":")
        found: Any = importlib.import_module(module.strip())
        for part in attribute.strip().split(".") if attribute.strip() else ():
            found = getattr(found, part)
        return found


def installed_entry_points(path: list[str] | None = None) -> list[Listed]:
    """Every `bandcoach` entry point of the distributions installed on sys.path, or on `path` (what the
    registry records); a distribution found twice counts once, the first found, as importlib.metadata has it."""
    from importlib import metadata  # a scan of site-packages: only where no registry was built

    listed: list[Listed] = []
    seen: set[str] = set()
    for dist in metadata.distributions() if path is None else metadata.distributions(path=path):
        ours = [ep for ep in dist.entry_points if ep.group == GROUP]
        if not ours:
            continue
        # Each .name or .version parses the distribution's METADATA again (with its long description):
        # read it once per distribution, not twice per entry point.
        described = dist.metadata
        name = (described["Name"] or "?").lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        listed += [Listed(ep.name, ep.value, name, described["Version"] or "") for ep in ours]
    return listed


def registered_entry_points(registry: Path = REGISTRY) -> list[Listed] | None:
    """The entry points a build recorded in `registry`, or None when there is none (scan instead)."""
    try:
        return [Listed(**entry) for entry in json.loads(registry.read_text())]
    except FileNotFoundError:
        return None


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin that could not load, or a hook implementation that raised, and why."""

    name: str
    dist: str
    error: str


@dataclass(slots=True)
class PluginInfo:
    """What `bandcoach plugins` shows of one loaded plugin."""

    name: str
    dist: str
    version: str
    hooks: list[str] = field(default_factory=list)
    routines: list[str] = field(default_factory=list)


class BandCoachPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from and what failed."""

    def __init__(self) -> None:
        super().__init__(GROUP)
        self.add_hookspecs(hookspecs)
        self.origins: dict[str, tuple[str, str]] = {}
        self.failures: list[PluginFailure] = []
        # BANDCOACH_TRACE_PLUGINS: log every implementation call_each makes. Not `trace`, which is
        # pluggy's own (final) tag tracer, used by enable_tracing().
        self.trace_calls = False

    def register_plugin(self, plugin: Any, name: str, *, dist: str = "(registered)", version: str = "") -> bool:
        """Register `plugin`; a plugin that does not fit the contract is recorded and skipped."""
        if self.has_plugin(name) or name in self.origins:
            first = self.origins.get(name, ("?", ""))[0]
            self.record_load_failure(name, dist, f"the name is already taken by a plugin from {first}")
            return False
        try:
            self.register(plugin, name=name)
            self.check_pending()
        except Exception as exc:  # pluggy raises several types; any of them means "skip this plugin"
            if self.is_registered(plugin):
                self.unregister(plugin)
            self.record_load_failure(name, dist, str(exc))
            return False
        self.origins[name] = (dist, version)
        return True

    def record_failure(self, name: str, error: str) -> None:
        """Note a hook implementation that raised; `bandcoach plugins` lists it."""
        dist = self.origins.get(name, ("(registered)", ""))[0]
        self.failures.append(PluginFailure(name, dist, error))

    def record_load_failure(self, name: str, dist: str, error: str) -> None:
        """Log and keep a plugin that could not load; the skill goes on without it."""
        logger.error("plugin %r from %s failed to load: %s; skipped", name, dist, error)
        self.failures.append(PluginFailure(name, dist, error))

    def info(self) -> list[PluginInfo]:
        """Every registered plugin with its distribution and the hooks it implements."""
        out = []
        for name, plugin in sorted(self.list_name_plugin(), key=lambda np: np[0]):
            if name is None or plugin is None:
                continue
            dist, version = self.origins.get(name, ("(registered)", ""))
            hooks = sorted(c.name for c in self.get_hookcallers(plugin) or [])
            out.append(PluginInfo(name, dist, version, hooks))
        return out


def make_plugin_manager(settings: Settings | None = None, *, load: bool = True) -> BandCoachPluginManager:
    """Build a manager with the hook specs and (unless `load` is false) the entry-point plugins."""
    pm = BandCoachPluginManager()
    settings = settings or Settings()
    if load:
        load_entry_points(pm, allow=settings.load_plugins)
    # Hooks are called implementation by implementation (call_each), not through pluggy's hook
    # caller, so pluggy's add_hookcall_monitoring would never fire: call_each logs instead.
    pm.trace_calls = settings.trace_plugins
    return pm


def load_entry_points(pm: BandCoachPluginManager, *, allow: tuple[str, ...] | None = None,
                      registry: Path = REGISTRY) -> None:
    """Load every `bandcoach` entry point, built-ins first; a failing one is recorded and skipped.

    `allow` names the distributions that may load (None = all), like llm's LLM_LOAD_PLUGINS. A package
    built with a registry (REGISTRY) loads the entry points it lists; otherwise they are scanned.
    """
    eps = registered_entry_points(registry)
    if eps is None:
        eps = installed_entry_points()
    for ep in sorted(eps, key=lambda ep: (ep.dist != BUILTIN_DIST, ep.dist, ep.name)):
        if allow is not None and ep.dist not in allow:
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # an import error in someone else's package must not stop ours
            pm.record_load_failure(ep.name, ep.dist, f"{type(exc).__name__}: {exc}")
            continue
        pm.register_plugin(obj, ep.name, dist=ep.dist, version=ep.version)


def call_each(pm: BandCoachPluginManager, hook_name: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
    """Call every implementation of a collecting hook, in pluggy's order, isolating failures.

    Yields (plugin_name, result) for each implementation that returned a value; one that raises
    is logged with its name, recorded, and skipped, where pluggy would abort the whole call.
    """
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        if impl.wrapper or impl.hookwrapper:
            continue  # wrappers only make sense around pluggy's own call, which we do not use
        args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
        if pm.trace_calls:
            logger.info("hook %s -> plugin %r", hook_name, impl.plugin_name)
        try:
            result = impl.function(**args)
        except Exception as exc:
            logger.exception("plugin %r raised in %s; skipped", impl.plugin_name, hook_name)
            pm.record_failure(impl.plugin_name, f"{hook_name}: {type(exc).__name__}: {exc}")
            continue
        if result is not None:
            yield impl.plugin_name, result


def call_first(pm: BandCoachPluginManager, hook_name: str, **kwargs: Any) -> Any:
    """Call a firstresult hook implementation by implementation; the first non-None result wins."""
    for _name, result in call_each(pm, hook_name, **kwargs):
        return result
    return None
